"""Price plans and quotes: what a basket costs, and holding a quoted price."""
