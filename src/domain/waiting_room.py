"""The virtual waiting room: a first-come, first-served queue in front of a listing's holds.

While a listing's queue mode is on, a customer joins its queue (one place per identity), waits
for a release to admit its place, and is then given a signed, short-lived queue pass. Placing a
hold on the listing needs that pass, and a pass admits a bounded number of holds.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import ConflictError, DomainError, InvalidValueError

MAX_BATCH = 100_000
MAX_PERIOD_SECONDS = 3600
MAX_PASS_SECONDS = 24 * 3600
MAX_HOLDS_PER_PASS = 100


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not low <= value <= high:
        raise InvalidValueError(name, f"must be between {low} and {high}")


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """A listing's waiting room: whether it is on, how many places each release admits and how
    often (``period_seconds``), how long a pass lasts, and how many holds one pass admits."""

    enabled: bool = False
    batch_size: int = 100
    period_seconds: int = 10
    pass_ttl_seconds: int = 300
    holds_per_pass: int = 1

    def __post_init__(self) -> None:
        _check_range("batch_size", self.batch_size, 1, MAX_BATCH)
        _check_range("period_seconds", self.period_seconds, 1, MAX_PERIOD_SECONDS)
        _check_range("pass_ttl_seconds", self.pass_ttl_seconds, 1, MAX_PASS_SECONDS)
        _check_range("holds_per_pass", self.holds_per_pass, 1, MAX_HOLDS_PER_PASS)

    def estimated_wait_seconds(self, position: int) -> int:
        """Releases until a place ``position`` places from the front is admitted, times the period
        (an upper bound when nobody ahead leaves; 0 once admitted)."""
        return math.ceil(position / self.batch_size) * self.period_seconds


class TicketState(enum.StrEnum):
    WAITING = "waiting"
    ADMITTED = "admitted"  # its pass is valid until ``pass_expires_at``
    EXPIRED = "expired"  # admitted, and its pass ran out: joining again goes to the back


@dataclass(frozen=True, slots=True)
class Ticket:
    """One identity's place in one listing's queue, as read at ``now``.

    ``position`` counts from 1 (next to be admitted) while waiting, and is 0 once admitted."""

    id: UUID
    listing_id: UUID
    subject: str
    joined_at: datetime
    state: TicketState
    position: int
    admitted_at: datetime | None = None
    pass_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Joined:
    ticket: Ticket
    created: bool  # False: the identity already had this place (joining again)


@dataclass(frozen=True, slots=True)
class QueuePass:
    """What a signed pass says: who may hold on which listing, through which ticket, until when."""

    listing_id: UUID
    ticket_id: UUID
    subject: str
    expires_at: datetime


class QueueNotEnabledError(ConflictError):
    """The listing's queue mode is off: there is no queue to join (holds need no pass)."""

    code = "queue_not_enabled"

    def __init__(self, listing_id: UUID) -> None:
        super().__init__(f"listing {listing_id} has no waiting room (queue mode is off)")


class QueuePassRequiredError(DomainError):
    """The listing's queue mode is on and the request carries no ``X-Queue-Pass``."""

    code = "queue_pass_required"

    def __init__(self, listing_id: UUID) -> None:
        super().__init__(f"listing {listing_id} is in queue mode: join its queue and send its X-Queue-Pass")


class QueuePassInvalidError(DomainError):
    """The pass is forged or garbled, was issued for another listing or another identity, or its
    place has left the queue."""

    code = "queue_pass_invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(f"the queue pass is not valid here: {reason}")


class QueuePassExpiredError(DomainError):
    """The pass's lifetime is over: join the queue again."""

    code = "queue_pass_expired"

    def __init__(self) -> None:
        super().__init__("the queue pass has expired: join the queue again")


class QueuePassUsedUpError(DomainError):
    """The pass has admitted as many holds as the listing allows per pass."""

    code = "queue_pass_used_up"

    def __init__(self, limit: int) -> None:
        super().__init__(f"a queue pass admits at most {limit} holds")


# The refusals of a hold for want of a valid queue pass (each a 403 with its own code).
QUEUE_PASS_ERRORS = (QueuePassRequiredError, QueuePassInvalidError, QueuePassExpiredError, QueuePassUsedUpError)
