"""Ports: ``typing.Protocol`` roles that infrastructure adapters play."""
