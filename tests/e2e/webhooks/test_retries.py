"""A handler that fails: backoff, retries by the sweep, dead letters, and operators' replays."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from dependency_injector import providers

from application.use_cases.process_webhook_event import LEASE_SECONDS
from application.use_cases.receive_webhook import ReceiveWebhook
from domain.webhooks import InboxStatus, RetryPolicy
from tests.e2e.conftest import Api, World
from tests.e2e.webhooks.conftest import Stripe, entry, inbox, retry
from tests.fakes.webhooks import RecordingWebhookHandler

BASE = RetryPolicy().base_seconds


async def test_a_failed_event_is_retried_after_its_backoff_and_not_before(
    world: World, stripe: Stripe, handler: RecordingWebhookHandler
) -> None:
    handler.failures = 1
    response = await stripe.send("evt_flaky")
    assert response.json() == {"received": True, "duplicate": False}  # still a 200 for Stripe

    failed = await entry(world, "evt_flaky")
    assert (failed.status, failed.attempts) == (InboxStatus.FAILED, 1)
    assert failed.last_error == "HandlerFailedError: cannot handle evt_flaky yet"
    assert failed.next_attempt_at is not None
    wait = failed.next_attempt_at - world.clock.now()
    assert timedelta(seconds=BASE / 2) <= wait <= timedelta(seconds=BASE)

    world.clock.advance(BASE / 2 - 1)
    assert await retry(world) == []
    assert handler.count("evt_flaky") == 1

    world.clock.advance(BASE / 2 + 2)
    done = await retry(world)
    assert [(e.event_id, e.status, e.attempts) for e in done] == [("evt_flaky", InboxStatus.PROCESSED, 2)]
    assert handler.count("evt_flaky") == 2
    assert await retry(world) == []


async def test_backoff_grows_until_the_event_is_dead_and_a_replay_revives_it(
    world: World, stripe: Stripe, handler: RecordingWebhookHandler, operator: Api
) -> None:
    world.container.use_cases.webhook_retry_policy.override(providers.Object(RetryPolicy(max_attempts=3)))
    handler.failures = 3
    await stripe.send("evt_doomed")
    waits = []
    for _ in range(2):
        failed = await entry(world, "evt_doomed")
        assert failed.status is InboxStatus.FAILED
        assert failed.next_attempt_at is not None
        waits.append(failed.next_attempt_at - world.clock.now())
        world.clock.advance(waits[-1].total_seconds())
        await retry(world)

    dead = await entry(world, "evt_doomed")
    assert (dead.status, dead.attempts, dead.next_attempt_at) == (InboxStatus.DEAD, 3, None)
    assert timedelta(seconds=BASE) <= waits[1] <= timedelta(seconds=2 * BASE)
    world.clock.advance(10 * 86400)
    assert await retry(world) == []  # the dead stay put until an operator acts

    listed = await operator.get("/v1/ops/webhooks", params={"status": "dead"})
    assert [item["id"] for item in listed.json()["items"]] == ["evt_doomed"]
    replayed = await operator.post("/v1/ops/webhooks/evt_doomed/replay")
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("processed", 1)
    assert handler.count("evt_doomed") == 4


async def test_processed_and_ignored_events_can_be_replayed_too(
    world: World, stripe: Stripe, handler: RecordingWebhookHandler, operator: Api
) -> None:
    await stripe.send("evt_done")
    await stripe.send("evt_other", "customer.created")
    handler.types |= {"customer.created"}  # a new release learnt the type

    for event_id in ("evt_done", "evt_other"):
        replayed = await operator.post(f"/v1/ops/webhooks/{event_id}/replay")
        assert replayed.json()["status"] == "processed", replayed.text
    assert [handler.count("evt_done"), handler.count("evt_other")] == [2, 1]


async def test_an_event_being_handled_is_never_handled_again_meanwhile(
    world: World, stripe: Stripe, handler: RecordingWebhookHandler, operator: Api
) -> None:
    """Deliveries, retry sweeps and a replay race the first handling: none of them gets in."""
    handler.gate = asyncio.Event()
    signed = stripe.sign("evt_slow")
    first = asyncio.create_task(stripe.post(signed.payload, signed.headers))
    await asyncio.wait_for(handler.started.wait(), 10)

    racers = await asyncio.gather(
        *(stripe.post(signed.payload, signed.headers) for _ in range(10)), retry(world), retry(world)
    )
    replay = await operator.post("/v1/ops/webhooks/evt_slow/replay")
    handler.gate.set()
    assert (await first).json() == {"received": True, "duplicate": False}

    assert [r.json()["duplicate"] for r in racers[:10]] == [True] * 10
    assert racers[10:] == [[], []]
    assert replay.status_code == 409
    assert replay.json()["code"] == "conflict"
    assert handler.count("evt_slow") == 1
    assert (await entry(world, "evt_slow")).status is InboxStatus.PROCESSED


async def test_an_event_whose_handling_never_finished_is_taken_over_after_its_lease(
    world: World, stripe: Stripe, handler: RecordingWebhookHandler
) -> None:
    """The process died after storing the event: the sweep handles it once the lease has run out."""
    receive = world.container.use_cases.receive_webhook()
    signed = stripe.sign("evt_orphan")
    await receive(ReceiveWebhook(signed.payload, signed.signature))  # stored and leased, never processed
    assert await retry(world) == []
    world.clock.advance(LEASE_SECONDS + 1)
    assert [(e.event_id, e.status) for e in await retry(world)] == [("evt_orphan", InboxStatus.PROCESSED)]
    assert handler.count("evt_orphan") == 1
    assert [e.status for e in await inbox(world)] == [InboxStatus.PROCESSED]
