"""The webhook inbox's lag and dead events at /metrics, read when scraped."""

from __future__ import annotations

from datetime import timedelta

from dependency_injector import providers

from application.ports.payments import GatewayEvent
from application.ports.webhooks import InboxEntry
from domain.webhooks import InboxStatus
from tests.e2e.conftest import World
from tests.e2e.test_metrics import scrape, value

LAG = "holdfast_webhook_inbox_lag_seconds"
DEAD = "holdfast_webhook_inbox_dead_events"


async def _store(world: World, event_id: str, status: InboxStatus, age_seconds: float, due_in: float = 0) -> None:
    now = world.clock.now()
    received = now - timedelta(seconds=age_seconds)
    event = GatewayEvent(event_id, "payment_intent.succeeded", received, {"id": "pi_1"})
    entry = InboxEntry(event, status, 1, received, received, next_attempt_at=now + timedelta(seconds=due_in))
    async with world.container.gateways.uow() as uow:
        assert await uow.webhooks.add(entry)
        await uow.commit()


async def test_an_empty_inbox_has_no_lag(world: World) -> None:
    samples = await scrape(world)
    assert (LAG, frozenset()) in samples  # read and set by the scrape, not merely absent
    assert value(samples, LAG) == 0
    assert value(samples, DEAD) == 0


async def test_the_lag_is_the_age_of_the_oldest_event_still_to_handle(world: World) -> None:
    await _store(world, "evt_due", InboxStatus.RECEIVED, age_seconds=120)
    await _store(world, "evt_failed_due", InboxStatus.FAILED, age_seconds=90)
    await _store(world, "evt_backing_off", InboxStatus.FAILED, age_seconds=3000, due_in=600)  # not late yet
    await _store(world, "evt_done", InboxStatus.PROCESSED, age_seconds=5000)
    await _store(world, "evt_dead_1", InboxStatus.DEAD, age_seconds=7000)
    await _store(world, "evt_dead_2", InboxStatus.DEAD, age_seconds=10)

    samples = await scrape(world)
    assert value(samples, LAG) == 120
    assert value(samples, DEAD) == 2

    world.clock.advance(30)
    assert value(await scrape(world), LAG) == 150


async def test_a_failed_read_of_the_inbox_does_not_break_the_scrape(world: World) -> None:
    await _store(world, "evt_dead", InboxStatus.DEAD, age_seconds=10)
    # A scrape whose read overran its bound on a busy machine keeps the gauge as it was: scrape
    # until one read lands, so that there is a last value to keep.
    seen = [value(await scrape(world), DEAD) for _ in range(10)]
    assert 1 in seen, seen

    async def unavailable() -> None:
        raise ConnectionError("database down")

    world.container.use_cases.get_webhook_backlog.override(providers.Object(unavailable))
    samples = await scrape(world)  # still 200, with every other metric

    assert value(samples, DEAD) == 1  # the last value read
    assert value(samples, "holdfast_http_requests_total", method="GET", route="/metrics", status="200") >= 1
