"""Tenants' outgoing webhooks: the endpoints they register and the rules for delivering to them.

An endpoint gets its tenant's events whose CloudEvents type it subscribes to (or all, ``*``),
one *delivery* per event. A delivery is ``pending`` until the endpoint answers 2xx
(``delivered``) or we give up (``failed``):

* 2xx delivers; 4xx but 408 and 429 means the request itself is refused: a permanent failure;
* anything else (5xx, 408, 429, a redirect, no answer in time) is tried again after an
  exponential, jittered backoff, until the next try would fall more than ``give_up_after``
  (three days) after the event: then the delivery is ``failed`` as *exhausted*.

An endpoint counts its failed attempts in a row (a 2xx resets the count). It is disabled when a
delivery is exhausted (it failed for days), or when a permanent failure finds it has failed
``disable_after_failures`` times in a row; a disabled endpoint gets nothing until its tenant
enables it again, and its pending deliveries wait for that.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from domain.errors import ConflictError, InvalidValueError
from domain.webhooks import backoff

ALL_EVENTS = "*"
MAX_URL_LENGTH = 2048
MAX_EVENT_TYPES = 50
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})  # timeout and "slow down": the request was fine


class InvalidWebhookUrlError(InvalidValueError):
    """An endpoint URL that is not an absolute http(s) URL we may POST to."""

    code = "invalid_webhook_url"

    def __init__(self, message: str) -> None:
        super().__init__("url", message)


class TooManyWebhookEndpointsError(ConflictError):
    """The tenant has as many endpoints as a tenant may have (``HOLDFAST_MAX_WEBHOOK_ENDPOINTS``)."""

    code = "too_many_webhook_endpoints"

    def __init__(self, limit: int) -> None:
        super().__init__(f"a tenant has at most {limit} webhook endpoints: delete one first")
        self.limit = limit


class UnknownEventTypeError(InvalidValueError):
    """An endpoint subscribed to an event type Holdfast does not emit (a typo never fires)."""

    code = "unknown_event_type"

    def __init__(self, event_type: str, known: frozenset[str] = frozenset()) -> None:
        # The choices are in the message: a client's typo is fixed from the answer alone.
        choices = ", ".join(repr(name) for name in (*sorted(known), ALL_EVENTS))
        super().__init__("event_types", f"{event_type!r} is not an event type Holdfast emits; one of {choices}")
        self.event_type = event_type


class EndpointStatus(enum.StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at (and only after earlier ones of its aggregate)
    DELIVERED = "delivered"
    FAILED = "failed"  # refused by the endpoint, or given up after days of trying


class Verdict(enum.StrEnum):
    """What an attempt's answer means."""

    DELIVERED = "delivered"
    RETRY = "retry"
    REJECTED = "rejected"


class DeliveryOutcome(enum.StrEnum):
    """What an attempt did to its delivery."""

    DELIVERED = "delivered"
    RETRYING = "retrying"
    REJECTED = "rejected"  # a permanent failure
    EXHAUSTED = "exhausted"  # a transient failure, but no time left to try again


def verdict_for(status_code: int | None) -> Verdict:
    """``None``: no HTTP answer at all (refused, reset, timed out)."""
    if status_code is not None and 200 <= status_code < 300:
        return Verdict.DELIVERED
    if status_code is not None and 400 <= status_code < 500 and status_code not in RETRYABLE_CLIENT_ERRORS:
        return Verdict.REJECTED
    return Verdict.RETRY


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Backoff doubling from ``base_seconds`` up to ``cap_seconds`` with equal jitter (see
    ``domain.webhooks.backoff``); about twenty tries over three days with the defaults."""

    base_seconds: float = 30.0
    cap_seconds: float = 6 * 3600.0
    give_up_after: timedelta = timedelta(days=3)
    disable_after_failures: int = 5

    def __post_init__(self) -> None:
        if not 0 < self.base_seconds <= self.cap_seconds:
            raise InvalidValueError("base_seconds", "must be positive and at most cap_seconds")
        if self.give_up_after <= timedelta(0):
            raise InvalidValueError("give_up_after", "must be positive")
        if self.disable_after_failures < 1:
            raise InvalidValueError("disable_after_failures", "must be at least 1")

    def delay(self, attempts: int, jitter: float) -> timedelta:
        """The wait after the ``attempts``-th failed try; ``jitter`` is uniform in [0, 1)."""
        return backoff(attempts, jitter, self.base_seconds, self.cap_seconds)

    def next_attempt(self, created_at: datetime, attempts: int, now: datetime, jitter: float) -> datetime | None:
        """When to try again after ``attempts`` failed tries; None once that is past the deadline."""
        due = now + self.delay(attempts, jitter)
        return due if due <= created_at + self.give_up_after else None


def check_url(url: str) -> str:
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrlError(f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number from 0 to 65535
    except ValueError as exc:
        raise InvalidWebhookUrlError(f"is not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWebhookUrlError("must be an absolute http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookUrlError("must not carry credentials; verify our signature instead")
    if port == 0 or any(char.isspace() for char in url):
        raise InvalidWebhookUrlError("must be a well-formed URL")
    return url


def check_event_types(event_types: tuple[str, ...], known: frozenset[str]) -> tuple[str, ...]:
    """The subscription, sorted and without repeats; ``("*",)`` alone stands for every type."""
    if not event_types:
        raise InvalidValueError("event_types", f"must name at least one type, or {ALL_EVENTS!r} for all")
    if len(event_types) > MAX_EVENT_TYPES:
        raise InvalidValueError("event_types", f"must name at most {MAX_EVENT_TYPES} types")
    if ALL_EVENTS in event_types:
        return (ALL_EVENTS,)
    for event_type in event_types:
        if event_type not in known:
            raise UnknownEventTypeError(event_type, known)
    return tuple(sorted(set(event_types)))


@dataclass(slots=True)
class WebhookEndpoint:
    """Where a tenant wants its events POSTed, signed with ``secret``."""

    id: UUID
    tenant_id: UUID
    url: str
    event_types: tuple[str, ...]
    secret: str
    created_at: datetime
    updated_at: datetime
    status: EndpointStatus = EndpointStatus.ENABLED
    consecutive_failures: int = 0
    disabled_reason: str | None = None
    disabled_at: datetime | None = None

    def __post_init__(self) -> None:
        check_url(self.url)

    @property
    def enabled(self) -> bool:
        return self.status is EndpointStatus.ENABLED

    def subscribes_to(self, event_type: str) -> bool:
        return ALL_EVENTS in self.event_types or event_type in self.event_types

    def after_attempt(self, outcome: DeliveryOutcome, now: datetime, policy: DeliveryPolicy) -> None:
        """Count the attempt; disable the endpoint when the rules above say so."""
        self.updated_at = now
        if outcome is DeliveryOutcome.DELIVERED:
            self.consecutive_failures = 0
            return
        self.consecutive_failures += 1
        if outcome is DeliveryOutcome.EXHAUSTED:
            self.disable(now, f"a delivery failed for {policy.give_up_after.days} days")
        elif outcome is DeliveryOutcome.REJECTED and self.consecutive_failures >= policy.disable_after_failures:
            self.disable(now, f"{self.consecutive_failures} failed attempts in a row, the last one refused")

    def disable(self, now: datetime, reason: str) -> None:
        if self.enabled:
            self.status = EndpointStatus.DISABLED
            self.disabled_reason, self.disabled_at, self.updated_at = reason, now, now

    def enable(self, now: datetime) -> None:
        """Take deliveries again, with a clean count; enabling an enabled endpoint changes nothing."""
        if not self.enabled:
            self.status, self.consecutive_failures = EndpointStatus.ENABLED, 0
            self.disabled_reason = self.disabled_at = None
            self.updated_at = now


@dataclass(slots=True)
class Delivery:
    """One event for one endpoint, tried until delivered or given up."""

    id: UUID
    endpoint_id: UUID
    event_id: UUID
    event_type: str
    aggregate_id: UUID
    sequence: int
    created_at: datetime
    updated_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None

    def record(
        self, status_code: int | None, error: str | None, now: datetime, policy: DeliveryPolicy, jitter: float
    ) -> DeliveryOutcome:
        """Apply one attempt's answer (``status_code`` None: none came, ``error`` says why)."""
        self.attempts += 1
        self.updated_at, self.last_status_code, self.last_error = now, status_code, error
        self.next_attempt_at = None
        verdict = verdict_for(status_code)
        if verdict is Verdict.DELIVERED:
            self.status, self.delivered_at = DeliveryStatus.DELIVERED, now
            return DeliveryOutcome.DELIVERED
        if verdict is Verdict.REJECTED:
            self.status = DeliveryStatus.FAILED
            return DeliveryOutcome.REJECTED
        self.next_attempt_at = policy.next_attempt(self.created_at, self.attempts, now, jitter)
        if self.next_attempt_at is None:
            self.status = DeliveryStatus.FAILED
            return DeliveryOutcome.EXHAUSTED
        return DeliveryOutcome.RETRYING
