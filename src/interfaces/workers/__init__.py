"""Background work. Thin: each resolves a use case from the container and calls it."""
