"""Domain errors. Each carries a stable ``code`` that clients can rely on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID


class DomainError(Exception):
    """Base of every business-rule violation."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidValueError(DomainError):
    """A value broke a domain rule (a negative quantity, an empty code...)."""

    code = "validation_failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotFoundError(DomainError):
    """The object does not exist, or belongs to another tenant (never told apart)."""

    code = "not_found"

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident} not found")
        self.kind = kind
        self.ident = ident


class ConflictError(DomainError):
    """The request clashes with the current state of an object."""

    code = "conflict"


class InsufficientInventoryError(ConflictError):
    """Some pools of a hold lack the units asked for; nothing was reserved."""

    code = "insufficient_inventory"

    def __init__(self, short: Mapping[UUID, int]) -> None:
        names = ", ".join(f"{pool} (available {left})" for pool, left in short.items())
        super().__init__(f"not enough units in: {names}")
        self.short = dict(short)


class CustomerLimitExceededError(ConflictError):
    """The customer would hold more units of a listing than its per-customer limit."""

    code = "customer_limit_exceeded"

    def __init__(self, limit: int, already: int, asked: int) -> None:
        super().__init__(f"limit is {limit} per customer; already has {already}, asked for {asked}")
        self.limit = limit
        self.already = already
        self.asked = asked


class HoldExpiredError(ConflictError):
    """The hold expired before it was confirmed; its units went back to the pool."""

    code = "hold_expired"

    def __init__(self, hold_id: UUID) -> None:
        super().__init__(f"hold {hold_id} has expired")
        self.hold_id = hold_id


class HoldNotActiveError(ConflictError):
    """The hold was released (or otherwise ended) and cannot be confirmed."""

    code = "hold_not_active"

    def __init__(self, hold_id: UUID, status: str) -> None:
        super().__init__(f"hold {hold_id} is {status}")
        self.hold_id = hold_id
        self.status = status


class InvalidTransitionError(ConflictError):
    """A state machine was asked for a move its transition table does not allow."""

    code = "invalid_transition"

    def __init__(self, kind: str, current: str, target: str) -> None:
        super().__init__(f"{kind} cannot go from {current} to {target}")
        self.current = current
        self.target = target


class CapacityBelowCommittedError(ConflictError):
    """A pool cannot shrink below the units already held or sold."""

    code = "capacity_below_committed"

    def __init__(self, pool_id: UUID, capacity: int, committed: int) -> None:
        super().__init__(f"pool {pool_id} has {committed} units held or sold; cannot resize to {capacity}")
        self.pool_id = pool_id
        self.capacity = capacity
        self.committed = committed


class DuplicateError(ConflictError):
    """An object with the same natural key already exists."""

    code = "already_exists"


class HoldMismatchError(ConflictError):
    """A hold id was reused for a different request."""

    code = "hold_id_conflict"


class RefundExceedsCapturedError(ConflictError):
    """A refund may not exceed what was captured minus what was already refunded."""

    code = "refund_exceeds_captured"

    def __init__(self, asked: int, refundable: int) -> None:
        super().__init__(f"asked to refund {asked}, but only {refundable} is refundable")
        self.asked = asked
        self.refundable = refundable


class NothingToRefundError(ConflictError):
    """The booking has no captured payment left to refund."""

    code = "nothing_to_refund"


class PaymentDeclinedError(DomainError):
    """The customer's payment method was declined; the client can try another."""

    code = "payment_declined"

    def __init__(self, message: str, decline_code: str | None = None) -> None:
        super().__init__(message)
        self.decline_code = decline_code


class PaymentProviderUnavailableError(DomainError):
    """The payment provider could not be reached or failed; retrying later is safe."""

    code = "payment_provider_unavailable"


class WebhookSignatureError(DomainError):
    """A webhook's signature is missing, malformed, stale or wrong: the body is not trusted."""

    code = "invalid_signature"


def short_pools(asked: Sequence[tuple[UUID, int]], available: Mapping[UUID, int]) -> dict[UUID, int]:
    """The pools among ``asked`` whose availability is below the quantity asked."""
    return {pool: available.get(pool, 0) for pool, qty in asked if available.get(pool, 0) < qty}
