"""Refunds under concurrency and gateway faults: the gateway never moves money we do not account for.

Each request reaches the gateway through a fake that takes a little time to answer, as a network
call does, so that concurrent requests interleave around it on both profiles.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from dependency_injector import providers

from domain.errors import ConflictError, NotFoundError, PaymentProviderUnavailableError
from tests.e2e.conftest import World
from tests.e2e.helpers import deliver, hold, make_listing, pay

PRICE = 6000
RACERS = 16


class _SlowGateway:
    """The fake gateway behind a network: each refund call takes a moment; ``down`` fails it
    before the provider acts, ``lose_answer`` after it acted (the money moved)."""

    def __init__(self, gateway: Any) -> None:
        self.fake, self.down, self.lose_answer = gateway, False, False
        self.error: Exception | None = None
        self.refund_calls: Counter[int] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fake, name)

    async def refund(self, intent_id: str, **kwargs: Any) -> Any:
        self.refund_calls[kwargs["amount"]] += 1
        await asyncio.sleep(0.02)
        if self.down:
            raise PaymentProviderUnavailableError("the provider answered 500")
        if self.error is not None:
            raise self.error
        made = await self.fake.refund(intent_id, **kwargs)
        if self.lose_answer:
            raise PaymentProviderUnavailableError("the provider's answer was lost")
        return made


async def _paid_booking(world: World) -> tuple[dict[str, Any], _SlowGateway]:
    listing_id, pools = await make_listing(world.api, (("a", 5, PRICE),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 1})).json()["id"]
    booking = (await world.api.post("/v1/bookings", {"hold_id": hold_id})).json()
    await pay(world, booking)
    slow = _SlowGateway(world.container.gateways.payments())
    world.container.gateways.payments.override(providers.Object(slow))
    return booking, slow


async def _refunded(world: World, booking: dict[str, Any]) -> tuple[list[int], int, int]:
    """(refunds at the gateway, refunded on the booking, refunded in the ledger)."""
    at_gateway = await world.container.gateways.payments().fake.list_refunds(booking["payment"]["intent_id"])
    recorded = (await world.api.get(f"/v1/bookings/{booking['id']}")).json()["payment"]["refunded"]
    ledger = (await world.api.get(f"/v1/ledger/bookings/{booking['id']}")).json()["totals"][0]["refunded"]
    return sorted(r.amount for r in at_gateway), recorded, ledger


async def _refund(world: World, booking: dict[str, Any], amount: int, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else None
    return await world.api.post(f"/v1/bookings/{booking['id']}/refunds", {"amount": amount}, headers=headers)


async def test_concurrent_refunds_that_fit_are_each_paid_once_and_all_answered_201(world: World) -> None:
    booking, _ = await _paid_booking(world)

    answers = await asyncio.gather(*(_refund(world, booking, 1000) for _ in range(4)))

    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert len({a.json()["refund"]["id"] for a in answers}) == 4
    assert await _refunded(world, booking) == ([1000] * 4, 4000, 4000)


async def test_concurrent_refunds_over_the_cap_never_reach_the_gateway(world: World) -> None:
    booking, slow = await _paid_booking(world)

    answers = await asyncio.gather(*(_refund(world, booking, 3500) for _ in range(RACERS)))

    codes = sorted((a.status_code, a.json().get("code")) for a in answers)
    assert codes == [(201, None)] + [(409, "refund_exceeds_captured")] * (RACERS - 1), [a.text for a in answers]
    assert slow.refund_calls == Counter({3500: 1})  # never asked for more than was captured
    assert await _refunded(world, booking) == ([3500], 3500, 3500)


async def test_a_refund_the_provider_failed_is_named_pending_and_paid_once_whatever_the_retries(
    world: World,
) -> None:
    booking, slow = await _paid_booking(world)
    slow.down = True

    first = await _refund(world, booking, 1000, key="K")
    slow.down = False
    again = await _refund(world, booking, 1000, key="K")
    world.clock.advance(600)
    await world.container.use_cases.retry_refunds()()
    listed = (await world.api.get(f"/v1/bookings/{booking['id']}/refunds")).json()

    assert first.status_code == 202, first.text
    assert first.json()["refund"]["status"] == "requested"
    assert (first.json()["booking"]["payment"]["refunded"], first.json()["booking"]["payment"]["refunding"]) == (
        0,
        1000,
    )
    assert again.content == first.content  # the same key resolves to the same refund
    assert [(r["id"], r["status"]) for r in listed] == [(first.json()["refund"]["id"], "succeeded")]
    assert await _refunded(world, booking) == ([1000], 1000, 1000)


async def test_a_refund_whose_answer_was_lost_is_recorded_once_and_never_paid_again(world: World) -> None:
    booking, slow = await _paid_booking(world)
    slow.lose_answer = True

    first = await _refund(world, booking, 2000, key="K")
    slow.lose_answer = False
    await deliver(world, await slow.fake.take_webhooks())  # charge.refunded: the webhook records it
    world.clock.advance(600)
    await world.container.use_cases.retry_refunds()()  # finds it settled: nothing to ask
    world.clock.advance(25 * 3600)
    await world.container.use_cases.purge_idempotency_keys()()
    after_a_day = await _refund(world, booking, 2000, key="K")  # the key record is gone, the refund is not

    assert first.status_code == 202, first.text
    assert after_a_day.status_code in (200, 201), after_a_day.text
    assert after_a_day.json()["refund"]["id"] == first.json()["refund"]["id"]
    assert after_a_day.json()["refund"]["status"] == "succeeded"
    assert await _refunded(world, booking) == ([2000], 2000, 2000)


async def test_a_webhook_racing_the_refund_request_records_the_refund_once(world: World) -> None:
    booking, slow = await _paid_booking(world)

    async def webhooks_meanwhile() -> None:
        for _ in range(10):
            await asyncio.sleep(0.005)
            await deliver(world, await slow.fake.take_webhooks())

    answer, _ = await asyncio.gather(_refund(world, booking, 1500), webhooks_meanwhile())
    await deliver(world, await slow.fake.take_webhooks())

    assert answer.status_code == 201, answer.text
    assert await _refunded(world, booking) == ([1500], 1500, 1500)


async def test_a_cancellation_stands_whatever_the_provider_answers_for_its_refund(world: World) -> None:
    booking, slow = await _paid_booking(world)
    slow.error = ConflictError("the charge was disputed")  # the provider refuses: no money moves
    cancelled = await world.api.post(f"/v1/bookings/{booking['id']}/cancel")
    refunds = (await world.api.get(f"/v1/bookings/{booking['id']}/refunds")).json()

    failing, slow = await _paid_booking(world)
    slow.error = NotFoundError("payment_intent", "pi_unknown")  # an error the provider should not give
    stands = await world.api.post(f"/v1/bookings/{failing['id']}/cancel")
    kept = (await world.api.get(f"/v1/bookings/{failing['id']}/refunds")).json()

    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled"), cancelled.text
    assert [(r["status"], r["amount"]["amount"]) for r in refunds] == [("failed", PRICE)]
    assert (stands.status_code, stands.json()["status"]) == (200, "cancelled"), stands.text
    assert [r["status"] for r in kept] == ["requested"]  # the retry job asks again
    assert stands.json()["payment"]["refunding"] == PRICE  # the answer says the money is on its way
    assert cancelled.json()["payment"]["refunding"] == 0  # refused: nothing is on its way
    assert await _refunded(world, booking) == ([], 0, 0)


async def test_a_refund_the_provider_answers_with_an_error_is_named_still_to_be_paid(world: World) -> None:
    booking, slow = await _paid_booking(world)
    slow.error = NotFoundError("payment_intent", "pi_unknown")

    answer = await _refund(world, booking, 1000)

    assert answer.status_code == 202, answer.text  # recorded and reserved: not a 404 for a booking that exists
    assert answer.json()["refund"]["status"] == "requested"
    assert answer.json()["booking"]["payment"]["refunding"] == 1000
