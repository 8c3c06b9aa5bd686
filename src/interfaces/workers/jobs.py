"""The job catalogue: what each named job does, for either queue (SAQ workers, in-process).

Each handler resolves its use case from the container and calls it; ``ctx`` beats the job's
heartbeat for long work. Every job is idempotent: it is delivered at least once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from loguru import logger

from application.ports.jobs import JobContext, JobHandler
from infrastructure.jobs.policies import RECONCILE_ATTEMPTS

NOTIFICATIONS_PER_ROUND = 20  # emails go one at a time; a round stays well inside its timeout

if TYPE_CHECKING:
    from infrastructure.container import Container


class ForegroundContext:
    """The context of a job run by hand (``holdfast jobs run``), outside any queue."""

    job_id = "foreground"
    attempt = 1

    async def heartbeat(self, progress: float | None = None) -> None:
        return None


def job_handlers(container: Container) -> dict[str, JobHandler]:
    use_cases = container.use_cases

    async def expire_holds(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        holds = await use_cases.expire_holds()()
        bookings = await use_cases.expire_bookings()()
        if holds or bookings:
            logger.info("expired {} holds and {} unpaid bookings", len(holds), len(bookings))
        changes = await use_cases.resume_booking_changes()()
        if changes:
            logger.info("finished or undid {} booking changes left open", len(changes))

    async def retry_webhook_events(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        done = await use_cases.retry_webhook_events()()
        if done:
            logger.info("retried {} webhook events", len(done))

    async def purge_idempotency(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        purged = await use_cases.purge_idempotency_keys()()
        if purged:
            logger.info("purged {} expired idempotency records", purged)

    async def purge_old_records(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        purged = {table: count for table, count in (await use_cases.purge_old_records()()).items() if count}
        if purged:
            logger.info("purged finished records past their retention: {}", purged)

    async def maintain_audit_log(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        done = {what: count for what, count in (await use_cases.maintain_audit_log()()).items() if count}
        if done:
            logger.info("audit log maintained (partitions created/dropped, rows deleted): {}", done)

    async def journal_holds(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        journaled = await use_cases.journal_holds()()
        if journaled:
            logger.info("journaled {} hold transitions", journaled)

    async def relay_outbox(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        published = await use_cases.relay_outbox()()
        if published:
            logger.info("published {} outbox events", published)

    async def deliver_webhooks(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        sent = await use_cases.deliver_webhooks()()
        if sent:
            logger.info("attempted {} webhook deliveries", sent)

    async def send_notifications(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        sent = await use_cases.send_notifications()(limit=NOTIFICATIONS_PER_ROUND)
        if sent:
            logger.info("sent {} notifications", sent)

    async def retry_refunds(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        settled = await use_cases.retry_refunds()()
        if settled:
            logger.info("retried {} refunds left requested", settled)

    async def release_queues(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        admitted = await use_cases.release_queues()()
        if admitted:
            logger.info("admitted {} waiting room places", admitted)

    async def extend_stay_horizon(_ctx: JobContext, _args: Mapping[str, Any]) -> None:
        done = await use_cases.extend_stay_horizon()()
        if done.nights:
            logger.info("made {} night pools of stays", done.nights)
        if done.cut_short:
            logger.warning("room types whose horizon the pool limit cut short: {}", done.cut_short)
        if done.unavailable:
            logger.warning("room types not extended while their inventory is lost: {}", done.unavailable)

    async def reconcile(ctx: JobContext, args: Mapping[str, Any]) -> None:
        async def beat(checked: int, total: int | None) -> None:
            await ctx.heartbeat(checked / total if total else None)

        final = ctx.attempt >= RECONCILE_ATTEMPTS  # earlier attempts raise, and the queue retries
        run = await use_cases.run_reconciliation()(UUID(str(args["reconciliation_id"])), beat, final=final)
        logger.info("reconciliation {} {}: {} findings, drift {}", run.id, run.status, len(run.findings), run.drift)

    return {
        "expire_holds": expire_holds,
        "retry_webhook_events": retry_webhook_events,
        "purge_idempotency": purge_idempotency,
        "purge_old_records": purge_old_records,
        "maintain_audit_log": maintain_audit_log,
        "journal_holds": journal_holds,
        "relay_outbox": relay_outbox,
        "deliver_webhooks": deliver_webhooks,
        "send_notifications": send_notifications,
        "retry_refunds": retry_refunds,
        "release_queues": release_queues,
        "extend_stay_horizon": extend_stay_horizon,
        "reconcile": reconcile,
    }
