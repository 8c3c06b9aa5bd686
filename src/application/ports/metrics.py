"""The metrics port: business facts counted for operators (Prometheus in production).

Methods are synchronous and cheap (counters in memory), so a use case may call them on its hot
path. Labels are bounded sets by construction: error codes and statuses, never ids.
"""

from __future__ import annotations

from typing import Protocol

from application.ports.jobs import JobOutcome
from domain.bookings import BookingStatus


class Metrics(Protocol):
    def hold_placed(self) -> None:
        """A hold was placed (a safe retry with the same hold id counts again)."""
        ...

    def hold_rejected(self, reason: str) -> None:
        """A hold was refused; ``reason`` is the domain error's stable ``code``
        (``insufficient_inventory``, ``customer_limit_exceeded``, ``hold_id_conflict``...)."""
        ...

    def booking_moved(self, to_status: BookingStatus) -> None:
        """A booking's move to ``to_status`` (its creation included) was committed."""
        ...

    def webhook_handled(self, outcome: str) -> None:
        """A claimed webhook event was handled: ``processed``, ``ignored``, ``failed``, ``dead``,
        or ``lease_lost`` when its outcome could not be recorded."""
        ...

    def job_finished(self, job: str, outcome: JobOutcome, seconds: float) -> None:
        """An attempt of a background job ended (``succeeded``, ``retried`` or ``failed``)."""
        ...

    def reconciliation_finished(self, kind: str, drift: int) -> None:
        """A reconciliation of ``kind`` (``inventory``, ``payments``) ran to the end and left
        ``drift`` findings unrepaired."""
        ...
