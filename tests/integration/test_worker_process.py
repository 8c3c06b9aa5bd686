"""``holdfast worker`` as operators run it: a child process on the same settings as the API,
running the cron schedule through SAQ on a real Redis, stopping cleanly on SIGTERM."""

from __future__ import annotations

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
    assert '"job": "expire_holds"' in log  # the job's name on its log lines (JSON in production)
