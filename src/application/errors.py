"""Errors raised by the application layer itself (not business rules of the domain)."""

from __future__ import annotations

from application.ports.rate_limits import RateDecision
from domain.errors import DomainError


class UnauthenticatedError(DomainError):
    """No API key, or one that matches no active key."""

    code = "unauthenticated"


class ForbiddenError(DomainError):
    """A valid API key (or user) that lacks what the request needs: the "operator" scope for
    /v1/ops, or the route's permission for its role (``domain.permissions``), named in
    ``required`` then."""

    code = "forbidden"

    def __init__(self, message: str, *, required: str | None = None) -> None:
        super().__init__(message)
        self.required = required


class InvalidIdempotencyKeyError(DomainError):
    """The Idempotency-Key header is empty, longer than 255 characters or not printable ASCII."""

    code = "invalid_idempotency_key"


class IdempotencyMismatchError(DomainError):
    """The key was already used for a different request (method, path, query or body differ).

    Reusing a key for another request is a client bug; running it would silently break the
    promise that a key stands for one operation, so nothing runs.
    """

    code = "idempotency_mismatch"


class IdempotencyInProgressError(DomainError):
    """The first request with this key is still running; retry the same request later."""

    code = "idempotency_in_progress"


class InventoryUnavailableError(DomainError):
    """The inventory engine lacks state the system of record says it should have (Redis lost a
    listing's counters, or everything): any answer would be a guess, so none is given until an
    operator runs ``holdfast reconcile inventory --repair``. Retrying later is safe."""

    code = "inventory_unavailable"

    def __init__(self, message: str = "the inventory is unavailable; retry later") -> None:
        super().__init__(message)


class RateLimitedError(DomainError):
    """A request found no token in one of its buckets (its identity's or its client address's,
    for its route class): refused before anything else ran; retry after ``decision``'s wait."""

    code = "rate_limited"

    def __init__(self, decision: RateDecision) -> None:
        super().__init__(f"too many requests; retry in {decision.retry_after_seconds} s")
        self.decision = decision
