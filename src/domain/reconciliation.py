"""Reconciliation: an operator's comparison of two records that should agree, and its report.

``queued -> running -> succeeded | failed``. A run compares, per subject (a pool, a booking),
what the system of record says with what the other side (the inventory engine, the payment
gateway) says, and writes one ``Finding`` per disagreement. With ``repair`` it also makes the
other side agree where that is safe, and says so on the finding.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidTransitionError, InvalidValueError


class ReconciliationKind(enum.StrEnum):
    INVENTORY = "inventory"  # engine counters against Postgres
    PAYMENTS = "payments"  # bookings and the ledger against the payment gateway


class ReconciliationStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # it ran to the end; the findings may still list drift
    FAILED = "failed"  # it could not finish; ``error`` says why


class FindingKind(enum.StrEnum):
    DRIFT = "drift"  # the two records disagree: something to repair
    OVERBOOKED = "overbooked"  # a pool holds or sells beyond its physical capacity, as allowed: a report


@dataclass(frozen=True, slots=True)
class Finding:
    """One disagreement: ``subject`` is what it is about (``pool:<id>``, ``booking:<id>``),
    ``field`` which number or state differs, ``expected`` what the system of record says,
    ``actual`` what the other side says, ``difference`` expected minus actual where both are
    numbers (units or minor units), and ``repaired`` whether this run fixed it. ``kind`` tells
    drift (a disagreement) from a report that agrees with both records but needs a person's
    eye (an overbooked pool: never repaired, never counted as drift)."""

    subject: str
    field: str
    expected: str | int | None
    actual: str | int | None
    detail: str = ""
    difference: int | None = None
    currency: str | None = None
    repaired: bool = False
    kind: FindingKind = FindingKind.DRIFT


@dataclass(frozen=True, slots=True)
class ReconciliationScope:
    """What to look at: one tenant, one listing, or (both ``None``) everything."""

    tenant_id: UUID | None = None
    listing_id: UUID | None = None


@dataclass(slots=True)
class Reconciliation:
    id: UUID
    kind: ReconciliationKind
    scope: ReconciliationScope
    repair: bool
    requested_by: str
    created_at: datetime
    status: ReconciliationStatus = ReconciliationStatus.QUEUED
    started_at: datetime | None = None
    finished_at: datetime | None = None
    checked: int = 0  # subjects compared so far
    total: int | None = None  # subjects to compare, once known
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    def __post_init__(self) -> None:
        if self.kind == ReconciliationKind.PAYMENTS and self.repair:
            # Moving money to make two records agree is a person's decision, not a job's.
            raise InvalidValueError("repair", "payments reconciliation reports; it never repairs")

    def start(self, now: datetime) -> None:
        """Running again after a crash (the job is delivered at least once) starts over."""
        if self.status in (ReconciliationStatus.SUCCEEDED, ReconciliationStatus.FAILED):
            raise InvalidTransitionError("reconciliation", self.status.value, ReconciliationStatus.RUNNING.value)
        self.status = ReconciliationStatus.RUNNING
        self.started_at = now
        self.checked, self.total, self.findings = 0, None, []

    def progress(self, checked: int, total: int | None) -> None:
        self.checked, self.total = checked, total

    def succeed(self, findings: list[Finding], now: datetime) -> None:
        self._finish(ReconciliationStatus.SUCCEEDED, now)
        self.findings = list(findings)

    def fail(self, error: str, now: datetime) -> None:
        self._finish(ReconciliationStatus.FAILED, now)
        self.error = error

    def _finish(self, status: ReconciliationStatus, now: datetime) -> None:
        if self.status != ReconciliationStatus.RUNNING:
            raise InvalidTransitionError("reconciliation", self.status.value, status.value)
        self.status = status
        self.finished_at = now

    @property
    def drift(self) -> int:
        """Drift findings this run did not repair."""
        return sum(1 for finding in self.findings if finding.kind == FindingKind.DRIFT and not finding.repaired)

    @property
    def overbooked(self) -> int:
        """Pools found holding or selling beyond their physical capacity (reported, not drift)."""
        return sum(1 for finding in self.findings if finding.kind == FindingKind.OVERBOOKED)
