"""Errors raised by the application layer itself (not business rules of the domain)."""

from __future__ import annotations

from domain.errors import DomainError


class UnauthenticatedError(DomainError):
    """No API key, or one that matches no active key."""

    code = "unauthenticated"
