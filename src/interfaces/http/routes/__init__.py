"""Route handlers of the /v1 API, health checks and docs."""
