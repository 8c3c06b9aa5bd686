"""Email adapters: SMTP, a file sink, and a log line."""
