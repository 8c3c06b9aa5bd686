"""``holdfast worker``: the SAQ worker, on the same container (and so the same adapters and
settings) as the API.

It runs every job of the catalogue and the cron schedule until SIGTERM or SIGINT, after which
running jobs get ``GRACE_SECONDS`` (saq_queue) to finish; whatever is cut off then goes back to the
queue and runs again. With ``HOLDFAST_WORKER_METRICS_PORT`` set it serves its own ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib

from loguru import logger
from prometheus_client import start_http_server

from infrastructure.container import Container, build_container, close_container
from infrastructure.jobs.saq_queue import SaqJobQueue
from infrastructure.logging import configure_logging
from infrastructure.settings import Settings
from interfaces.workers.jobs import job_handlers

OBSERVE_EVERY_SECONDS = 15.0


async def run_worker(settings: Settings) -> None:
    configure_logging(settings)
    container = build_container(settings)
    try:
        queue = container.gateways.jobs()
        if not isinstance(queue, SaqJobQueue):
            raise RuntimeError("holdfast worker runs the SAQ queue: set HOLDFAST_JOBS=saq and HOLDFAST_REDIS_URL")
        if settings.worker_metrics_port:
            start_http_server(
                settings.worker_metrics_port, settings.host, registry=container.gateways.metrics().registry
            )
        worker = queue.worker(job_handlers(container), concurrency=settings.worker_concurrency)
        logger.info("worker {} started: {} jobs, concurrency {}", worker.id, len(worker.functions), worker.concurrency)
        # Only a worker that serves /metrics needs the queue's gauges kept current.
        observing = asyncio.create_task(_observe_queue(container)) if settings.worker_metrics_port else None
        try:
            await worker.start()
        finally:
            if observing is not None:
                observing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await observing
    finally:
        await close_container(container)


async def _observe_queue(container: Container) -> None:
    """Keep the worker's queue-depth and dead-letter gauges current (the API reads them per scrape)."""
    while True:
        try:
            status = await container.use_cases.get_jobs_status()()
            container.gateways.metrics().queue_observed(status.queue, status.dead_letters, status.failing)
        except Exception as exc:
            logger.warning("could not read the job queue for metrics ({!r})", exc)
        await asyncio.sleep(OBSERVE_EVERY_SECONDS)
