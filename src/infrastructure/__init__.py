"""Adapters for the application's ports, and the container that wires them."""
