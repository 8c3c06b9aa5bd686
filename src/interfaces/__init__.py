"""Edges of Holdfast: the HTTP API, webhooks, ops endpoints, CLI and workers."""
