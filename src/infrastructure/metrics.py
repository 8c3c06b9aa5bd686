"""Prometheus metrics: the ``Metrics`` port and the HTTP instruments, in a registry of their own.

Each ``PrometheusMetrics`` owns a ``CollectorRegistry`` rather than the process-global one, so
two apps (or two tests) in one process never share or collide on series.

One process (tests, ``holdfast worker``, ``holdfast serve`` with one worker) serves its own
values. The worker processes of one ``holdfast serve`` with HOLDFAST_WORKERS above 1 share its
port, so a scrape must answer for all of them: ``serve`` sets PROMETHEUS_MULTIPROC_DIR for them
(before they import prometheus_client, which picks its value store at import), each worker
writes its values to files there, and a scrape reads every worker's files: counters and
histograms summed, and each gauge (all of them read from the record just before a scrape, the
same whichever worker reads it) as the value written last (``mostrecent``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from application.ports.jobs import FailingJob, JobOutcome, QueueStats
from domain.bookings import BookingStatus

PREFIX = "holdfast"
# Seconds; a hold or a booking answers in milliseconds, a checkout waits on the payment provider.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HTTP_LABELS = ("method", "route", "status")
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own switch
# Only set, never incremented, and the same value whichever worker set it: the latest write wins
# (ignored by a single process).
GAUGE_MODE = "mostrecent"


class PrometheusMetrics:
    """Counters for the business facts of the ``Metrics`` port, plus per-route HTTP metrics
    (labelled by route template, never by raw path) recorded by the HTTP middleware."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self._exposed = _exposed_registry(registry)
        self._failing_jobs_seen: set[str] = set()
        self._holds_placed = Counter(f"{PREFIX}_holds_placed", "Holds placed", registry=registry)
        self._holds_rejected = Counter(
            f"{PREFIX}_holds_rejected", "Holds refused, by error code", ["reason"], registry=registry
        )
        self._booking_moves = Counter(
            f"{PREFIX}_booking_transitions",
            "Committed booking state transitions (creation included), by target status",
            ["to_status"],
            registry=registry,
        )
        self._webhooks = Counter(
            f"{PREFIX}_webhook_events_handled", "Webhook events handled, by outcome", ["outcome"], registry=registry
        )
        self._jobs = Counter(
            f"{PREFIX}_jobs", "Background job attempts, by job and outcome", ["job", "outcome"], registry=registry
        )
        self._job_seconds = Histogram(
            f"{PREFIX}_job_duration_seconds", "Background job attempt duration", ["job"], registry=registry
        )
        self._queue_depth = Gauge(
            f"{PREFIX}_job_queue_depth",
            "Jobs in the queue, by state, when scraped",
            ["state"],
            multiprocess_mode=GAUGE_MODE,
            registry=registry,
        )
        self._dead_letters = Gauge(
            f"{PREFIX}_job_dead_letters",
            "Dead letters waiting for an operator, when scraped",
            multiprocess_mode=GAUGE_MODE,
            registry=registry,
        )
        self._failed_rounds = Gauge(
            f"{PREFIX}_job_consecutive_failures",
            "Rounds of a periodic job that failed in a row, up to its latest (0 once one succeeds), when scraped",
            ["job"],
            multiprocess_mode=GAUGE_MODE,
            registry=registry,
        )
        self._inbox_lag = Gauge(
            f"{PREFIX}_webhook_inbox_lag_seconds",
            "Age of the oldest webhook event still to be handled (received, or failed and due), when scraped",
            multiprocess_mode=GAUGE_MODE,
            registry=registry,
        )
        self._inbox_dead = Gauge(
            f"{PREFIX}_webhook_inbox_dead_events",
            "Dead webhook events waiting for a replay, when scraped",
            multiprocess_mode=GAUGE_MODE,
            registry=registry,
        )
        self._drift = Gauge(
            f"{PREFIX}_reconciliation_drift",
            "Unrepaired findings of the last reconciliation that ran to the end, by kind",
            ["kind"],
            multiprocess_mode=GAUGE_MODE,
            registry=registry,
        )
        self._inventory_missing = Gauge(
            f"{PREFIX}_inventory_state_missing",
            "1 when the inventory engine lost its state (repair: holdfast reconcile inventory --repair), when scraped",
            multiprocess_mode=GAUGE_MODE,
            registry=registry,
        )
        self._requests = Counter(f"{PREFIX}_http_requests", "HTTP requests", HTTP_LABELS, registry=registry)
        self._errors = Counter(
            f"{PREFIX}_http_request_errors", "HTTP requests answered 5xx", HTTP_LABELS, registry=registry
        )
        # Each (method, route, status)'s children, looked up once: labels() costs a lock and a few
        # allocations, and the label sets are few (route templates, not paths).
        self._http_children: dict[tuple[str, str, int], tuple[Any, Any, Any | None]] = {}
        self._latency = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "HTTP request latency, until the response is sent",
            HTTP_LABELS,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def hold_placed(self) -> None:
        self._holds_placed.inc()

    def hold_rejected(self, reason: str) -> None:
        self._holds_rejected.labels(reason=reason).inc()

    def booking_moved(self, to_status: BookingStatus) -> None:
        self._booking_moves.labels(to_status=to_status.value).inc()

    def webhook_handled(self, outcome: str) -> None:
        self._webhooks.labels(outcome=outcome).inc()

    def job_finished(self, job: str, outcome: JobOutcome, seconds: float) -> None:
        self._jobs.labels(job=job, outcome=outcome.value).inc()
        self._job_seconds.labels(job=job).observe(seconds)

    def queue_observed(self, stats: QueueStats, dead_letters: int, failing: Sequence[FailingJob] = ()) -> None:
        """The queue's depth, the dead letters and the periodic jobs failing round after round,
        read just before a scrape (from the record, so every process shows the same counts)."""
        for state in ("queued", "scheduled", "active"):
            self._queue_depth.labels(state=state).set(getattr(stats, state))
        self._dead_letters.set(dead_letters)
        counts = {found.job: found.rounds for found in failing}
        for job in self._failing_jobs_seen | counts.keys():
            self._failed_rounds.labels(job=job).set(counts.get(job, 0))  # a recovered job shows 0
        self._failing_jobs_seen |= counts.keys()

    def webhook_inbox_observed(self, lag_seconds: float, dead: int) -> None:
        """The webhook inbox's backlog, read just before a scrape."""
        self._inbox_lag.set(lag_seconds)
        self._inbox_dead.set(dead)

    def reconciliation_finished(self, kind: str, drift: int) -> None:
        self._drift.labels(kind=kind).set(drift)

    def inventory_state_observed(self, missing: bool) -> None:
        """Whether the inventory engine's state is missing (``CheckInventoryStateHandler``), read
        just before a scrape."""
        self._inventory_missing.set(1 if missing else 0)

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """``route`` must be a route template (``/v1/holds/{hold_id}``): a raw path would mint a
        series per id."""
        children = self._http_children.get((method, route, status))
        if children is None:
            labels = (method, route, str(status))
            error = self._errors.labels(*labels) if status >= 500 else None
            children = self._requests.labels(*labels), self._latency.labels(*labels), error
            self._http_children[(method, route, status)] = children
        requests, latency, errors = children
        requests.inc()
        latency.observe(seconds)
        if errors is not None:
            errors.inc()

    def exposition(self) -> tuple[bytes, str]:
        """The registry in Prometheus' text format, and its content type."""
        return generate_latest(self._exposed), CONTENT_TYPE_LATEST


def _exposed_registry(own: CollectorRegistry) -> CollectorRegistry:
    """What a scrape reads: this process's registry, or, when ``holdfast serve`` runs several
    workers, every worker's values from the files in PROMETHEUS_MULTIPROC_DIR."""
    path = os.environ.get(MULTIPROCESS_DIR)
    if not path:
        return own
    shared = CollectorRegistry()
    MultiProcessCollector(shared, path=path)
    return shared
