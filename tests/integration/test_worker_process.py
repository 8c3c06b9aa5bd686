"""``holdfast worker`` as operators run it: a child process on the same settings as the API,
running the cron schedule through SAQ on a real Redis, stopping cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal

from saq import Status

from application.use_cases.authorize_operator import OPERATOR_SCOPE
from application.use_cases.issue_api_key import IssueApiKey
from application.use_cases.register_tenant import RegisterTenant
from tests.e2e.conftest import Api
from tests.e2e.helpers import availability, hold, make_listing
from tests.integration.worker_stack import Stack, eventually, stack, stop

__all__ = ["stack"]  # the fixture


async def test_the_worker_expires_due_holds_on_its_schedule_and_stops_on_sigterm(stack: Stack) -> None:
    listing_id, pools = await make_listing(stack.api, (("a", 5, 0),))
    for customer in ("ann", "bob"):
        placed = await hold(stack.api, listing_id, {pools["a"]: 2}, customer=customer)
        assert placed.status_code == 201, placed.text
    assert (await availability(stack.api, listing_id))["a"] == (4, 0, 1)

    worker = stack.start_worker(HOLDFAST_EXPIRY_SWEEP_SECONDS="1")

    async def released() -> bool:
        return (await availability(stack.api, listing_id))["a"] == (0, 0, 5)

    await eventually(released, "the worker to expire the due holds")
    assert stop(worker) == 0, stack.log(worker)
    log = stack.log(worker)
    assert "expired 2 holds" in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(line.get("job") == "expire_holds" for line in lines)  # the job's name on its JSON lines


async def test_a_worker_told_to_stop_takes_no_new_job(stack: Stack) -> None:
    """SIGTERM: the running jobs get their grace time, but nothing new is taken meanwhile, so
    jobs queued during a rollout wait for the next worker instead of being cut off here."""
    worker = stack.start_worker(HOLDFAST_LOG_LEVEL="DEBUG")  # SAQ's routine lines are DEBUG

    async def taking_jobs() -> bool:
        return "key: cron:journal_holds" in stack.log(worker)  # its schedule runs: it dequeues too

    await eventually(taking_jobs, "the worker to take jobs")
    worker.send_signal(signal.SIGTERM)

    async def stopping() -> bool:
        return "Working shutting down" in stack.log(worker)  # SAQ's line, once the signal is handled

    await eventually(stopping, "the worker to begin its stop")
    queue = stack.container.gateways.jobs()
    keys = [f"late-{n}" for n in range(5)]
    for key in keys:
        await queue.enqueue("relay_outbox", key=key)
    assert worker.wait(timeout=60) == 0, stack.log(worker)

    statuses = [(await queue.saq.job(key)).status for key in keys]
    assert statuses == [Status.QUEUED] * len(keys), stack.log(worker)


async def test_run_now_runs_a_periodic_job_now_even_when_its_next_round_is_hours_away(stack: Stack) -> None:
    """``POST /v1/ops/jobs/{name}/run`` with SAQ: the cron round waiting for its time (here the
    next midnight) is no answer; a round runs now, in the worker."""
    await stack.container.use_cases.register_tenant()(RegisterTenant("ops"))
    key = await stack.container.use_cases.issue_api_key()(IssueApiKey("ops", "operator", (OPERATOR_SCOPE,)))
    operator = Api(stack.api.client, key, stack.clock)
    # once a day, at midnight; DEBUG: SAQ's scheduling lines are DEBUG
    worker = stack.start_worker(HOLDFAST_REFUND_RETRY_SECONDS="86400", HOLDFAST_LOG_LEVEL="DEBUG")

    async def scheduled() -> bool:
        return "key: cron:retry_refunds" in stack.log(worker)

    await eventually(scheduled, "the worker to schedule the daily round")
    asked = await operator.post("/v1/ops/jobs/retry_refunds/run")
    assert asked.status_code == 202, asked.text
    queue = stack.container.gateways.jobs()

    async def ran() -> bool:
        job = await queue.saq.job(asked.json()["job_id"])
        return job is not None and job.status == Status.COMPLETE

    await eventually(ran, "the round asked for to run", deadline=30)
    assert stop(worker) == 0, stack.log(worker)
