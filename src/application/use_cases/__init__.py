"""One use case per module: a frozen command, a result, and a handler stating the rules."""
