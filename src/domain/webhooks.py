"""The webhook inbox's rules: the states an incoming provider event goes through, and when a
failed one is tried again.

``received -> processed | ignored | failed``; ``failed -> processed | ignored | failed | dead``.
An operator may replay any event that nobody is handling at the moment, which puts it back to
``received``. Events are never deleted: the inbox is also the record of what the provider told us.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from domain.errors import InvalidValueError

# 2**30 times any sensible base is past any cap; the exponent stops there so it cannot overflow.
_MAX_EXPONENT = 30


class InboxStatus(enum.StrEnum):
    RECEIVED = "received"  # stored, not yet handled (or replayed)
    PROCESSED = "processed"  # the handler returned
    IGNORED = "ignored"  # an event type we do not act on; acknowledged all the same
    FAILED = "failed"  # the handler raised; tried again from next_attempt_at
    DEAD = "dead"  # failed too often; waits for an operator's replay


# Statuses a handler may take an event from (when it is due and nobody holds its lease).
CLAIMABLE = frozenset({InboxStatus.RECEIVED, InboxStatus.FAILED})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff, capped, with jitter; an event is dead after ``max_attempts`` failures.

    The jitter is "equal jitter": half of each step is fixed and half random, so many events that
    failed together (the provider or our database was down) come back spread out, yet never
    sooner than half a step.
    """

    max_attempts: int = 8
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidValueError("max_attempts", "must be at least 1")
        if not 0 < self.base_seconds <= self.cap_seconds:
            raise InvalidValueError("base_seconds", "must be positive and at most cap_seconds")

    def delay(self, attempts: int, jitter: float) -> timedelta:
        """The wait after the ``attempts``-th failure; ``jitter`` is uniform in [0, 1)."""
        return backoff(attempts, jitter, self.base_seconds, self.cap_seconds)

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def status_after_failure(self, attempts: int) -> InboxStatus:
        return InboxStatus.DEAD if self.gives_up(attempts) else InboxStatus.FAILED


def backoff(attempts: int, jitter: float, base_seconds: float, cap_seconds: float) -> timedelta:
    """The wait after the ``attempts``-th failure: ``base_seconds`` doubling per failure up to
    ``cap_seconds``, half fixed and half scaled by ``jitter`` (uniform in [0, 1)). The one
    backoff of the project: the webhook inbox, outgoing deliveries, emails and jobs use it."""
    exponent = min(max(attempts - 1, 0), _MAX_EXPONENT)
    step = min(cap_seconds, base_seconds * 2**exponent)
    return timedelta(seconds=step / 2 + step / 2 * min(max(jitter, 0.0), 1.0))
