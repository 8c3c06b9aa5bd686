"""Holdfast's domain: entities, value objects, state machines, errors and events.

Standard library only; the layer contract in ``pyproject.toml`` enforces it.
"""
