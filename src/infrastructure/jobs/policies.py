"""Every background job's policy: how long it may run, how it is retried, how often it runs.

The names here and the handlers of ``interfaces.workers.jobs`` are the same set (a test holds
them together). Cron periods that operators tune are settings; a period of 0 turns that cron
off, leaving the job to be run by hand (``holdfast jobs run NAME``, ``POST /v1/ops/jobs/NAME/run``).
"""

from __future__ import annotations

from application.ports.jobs import JobPolicy
from infrastructure.settings import Settings

HOUR = 3600.0
DAY = 24 * HOUR
# Seconds without a beat before a job's worker is presumed dead and the job handed to another
# (the worker beats every third of it while the job runs). Short, so a killed worker holds up a
# cron job for about this long plus one sweep, rather than for the job's whole timeout.
BEAT = 10.0
JOURNAL_EVERY = 5.0
# Periodic jobs try twice: a round cut short by its worker's death is run again by the next
# worker's sweep, not only replaced by the next round. A failure beyond that is the next round's.
CRON_ATTEMPTS = 2
RECONCILE_ATTEMPTS = 3


def _every(seconds: float) -> float | None:
    return seconds if seconds > 0 else None


# Jobs enqueued with arguments (by a use case); every other job is periodic and takes none.
WITH_ARGUMENTS: frozenset[str] = frozenset({"reconcile"})


def periodic_jobs(settings: Settings) -> frozenset[str]:
    return frozenset(job_policies(settings)) - WITH_ARGUMENTS


def job_policies(settings: Settings) -> dict[str, JobPolicy]:
    return {
        # Due holds back to the pools, then unpaid bookings expired and their intents cancelled.
        # Cheap and frequent.
        "expire_holds": JobPolicy(
            timeout=60, attempts=CRON_ATTEMPTS, heartbeat=BEAT, every=_every(settings.expiry_sweep_seconds)
        ),
        # Webhook inbox events whose handling failed, when their backoff says so.
        "retry_webhook_events": JobPolicy(
            timeout=120, attempts=CRON_ATTEMPTS, heartbeat=BEAT, every=_every(settings.webhook_retry_seconds)
        ),
        # Idempotency records past their time; hourly is plenty.
        "purge_idempotency": JobPolicy(
            timeout=300, attempts=CRON_ATTEMPTS, heartbeat=BEAT, every=HOUR if settings.expiry_sweep_seconds else None
        ),
        # Finished records older than HOLDFAST_RETENTION_DAYS: inbox, outbox, deliveries, emails,
        # hold journal. A few DELETEs; daily keeps the tables bounded by the retention.
        "purge_old_records": JobPolicy(
            timeout=600, attempts=CRON_ATTEMPTS, heartbeat=BEAT, every=DAY if settings.expiry_sweep_seconds else None
        ),
        # The audit log: partitions made ahead, months past HOLDFAST_AUDIT_RETENTION_DAYS dropped
        # (SQLite: rows deleted). Daily: the partitions are made two months ahead.
        "maintain_audit_log": JobPolicy(
            timeout=600, attempts=CRON_ATTEMPTS, heartbeat=BEAT, every=DAY if settings.expiry_sweep_seconds else None
        ),
        # The Redis engine's hold journal into Postgres (nothing to do for the other engines).
        "journal_holds": JobPolicy(
            timeout=120,
            attempts=CRON_ATTEMPTS,
            heartbeat=BEAT,
            every=JOURNAL_EVERY if settings.inventory_engine == "redis" else None,
        ),
        # Outbox events published in order per aggregate, fanned out to deliveries and emails
        # in the same transaction; a round is one short transaction per batch.
        "relay_outbox": JobPolicy(
            timeout=30, attempts=CRON_ATTEMPTS, heartbeat=BEAT, every=_every(settings.relay_seconds)
        ),
        # Tenants' webhook deliveries that are due (each leased while sent; retried for days by
        # its own schedule in the database, not by the job).
        "deliver_webhooks": JobPolicy(
            timeout=180, attempts=CRON_ATTEMPTS, heartbeat=BEAT, every=_every(settings.delivery_seconds)
        ),
        # Booking emails; sent one at a time, so a round is kept small.
        "send_notifications": JobPolicy(
            timeout=300, attempts=CRON_ATTEMPTS, heartbeat=BEAT, every=_every(settings.notification_seconds)
        ),
        # Refunds whose gateway call got no answer, asked again under the same idempotency key.
        # A round makes up to 50 refunds x 2 provider calls; several attempts ride out a blip.
        "retry_refunds": JobPolicy(
            timeout=180,
            attempts=3,
            retry_delay=30,
            max_retry_delay=300,
            heartbeat=BEAT,
            every=_every(settings.refund_retry_seconds),
        ),
        # The waiting room: each listing in queue mode admits its next batch once its period is
        # up (the room enforces the period, so running often only makes releases punctual).
        "release_queues": JobPolicy(
            timeout=30, attempts=CRON_ATTEMPTS, heartbeat=BEAT, every=_every(settings.queue_release_seconds)
        ),
        # Stays: every room type's night pools made up to HOLDFAST_STAY_HORIZON_DAYS ahead. Daily:
        # the horizon moves a night a day; idempotent (a night is made once, under the listing's lock).
        "extend_stay_horizon": JobPolicy(
            timeout=600, attempts=CRON_ATTEMPTS, heartbeat=BEAT, every=DAY if settings.expiry_sweep_seconds else None
        ),
        # One operator-requested reconciliation; long, so it beats a heartbeat. A retry starts over.
        "reconcile": JobPolicy(timeout=6 * HOUR, attempts=RECONCILE_ATTEMPTS, retry_delay=30, heartbeat=120),
    }
