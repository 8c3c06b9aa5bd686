"""Payments reconciliation on SQLite with the fake gateway: books that agree, then drift of every kind."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import delete, insert, update

from application.ports.payments import IntentStatus
from application.use_cases.place_hold import PlaceHold
from domain import ledger
from domain.errors import PaymentProviderUnavailableError
from domain.ledger import TransactionKind
from domain.reconciliation import Finding, ReconciliationScope
from domain.refunds import RefundState
from infrastructure.persistence.tables import bookings, refunds
from tests.unit.payments.shop import PRICE, Shop

FEE = 60  # the fake's Stripe-like fee on 25.00: 1.4 % + 0.25


def drift(findings: list[Finding]) -> dict[str, tuple[Any, Any]]:
    return {finding.field: (finding.expected, finding.actual) for finding in findings}


async def test_books_that_agree_with_the_gateway_have_no_findings(shop: Shop) -> None:
    paid = await shop.paid()
    partly = await shop.paid()
    await shop.refund(partly.id, 1000)
    cancelled = await shop.paid()
    await shop.cancel(cancelled.id)
    await shop.check_out()  # still awaiting payment
    await shop.pay(await shop.check_out(), "declined")
    expired = await shop.check_out(ttl=60)
    scarce = await shop.new_listing(capacity=1)
    late = await shop.check_out(scarce, ttl=60)
    shop.clock.advance(61)
    await shop.uc.expire_holds()()
    await shop.uc.place_hold()(PlaceHold(shop.tenant_id, scarce[0], "rival", ((scarce[1], 1),)))
    await shop.pay(late)  # paid after its hold expired and the unit was taken: refunded in full
    await shop.uc.expire_bookings()()
    await shop.deliver()  # the refunds' and cancellations' webhooks

    findings = await shop.reconcile()

    assert findings == []
    assert shop.progress[0] == (0, 7)
    assert shop.progress[-1] == (7, 7)
    states = {
        (b.status.value, b.payment_status.value)
        for b in [await shop.booking(b.id) for b in (paid, partly, cancelled, expired, late)]
    }
    assert states == {
        ("confirmed", "paid"),
        ("confirmed", "partially_refunded"),
        ("cancelled", "refunded"),
        ("expired", "unpaid"),
        ("expired", "refunded"),
    }


async def test_a_payment_whose_webhook_never_came_is_reported_with_its_amounts(shop: Shop) -> None:
    booking = await shop.check_out()
    await shop.pay(booking, deliver=False)

    findings = await shop.reconcile()

    assert drift(findings) == {
        "status": ("pending_payment", "succeeded"),
        "captured": (0, PRICE),
        "ledger.captured": (0, PRICE),
        "ledger.fees": (0, FEE),
    }
    assert {f.subject for f in findings} == {f"booking:{booking.id}"}
    captured = next(f for f in findings if f.field == "captured")
    assert (captured.difference, captured.currency) == (-PRICE, "EUR")


async def test_a_confirmed_booking_whose_intent_did_not_succeed_is_reported(shop: Shop) -> None:
    booking = await shop.paid()
    await shop.drift_intent(booking, status=IntentStatus.PROCESSING.value)

    assert drift(await shop.reconcile()) == {"status": ("confirmed", "processing")}


async def test_an_intent_for_another_price_is_reported(shop: Shop) -> None:
    booking = await shop.check_out()
    await shop.drift_intent(booking, amount=9900, currency="usd")

    findings = await shop.reconcile()

    assert drift(findings) == {"amount": (PRICE, 9900), "currency": ("EUR", "USD")}
    assert next(f for f in findings if f.field == "amount").difference == PRICE - 9900


async def test_a_refund_row_we_lost_is_reported(shop: Shop) -> None:
    booking = await shop.paid()
    refund = await shop.refund(booking.id, 1000)
    await shop.execute(delete(refunds).where(refunds.c.id == refund.id))

    assert drift(await shop.reconcile()) == {f"refunds[{refund.gateway_refund_id}].amount": (0, 1000)}


async def test_a_refund_made_only_at_the_gateway_is_reported_until_its_webhook_records_it(shop: Shop) -> None:
    booking = await shop.paid()
    assert booking.payment is not None
    made = await shop.fake.refund(booking.payment.intent_id, amount=500, metadata={}, idempotency_key="dashboard")

    reported = drift(await shop.reconcile())
    await shop.deliver()

    assert reported == {f"refunds[{made.id}].amount": (0, 500), "refunded": (0, 500), "ledger.refunded": (0, 500)}
    assert await shop.reconcile() == []


async def test_a_refund_in_another_state_or_amount_than_at_the_gateway_is_reported(shop: Shop) -> None:
    booking = await shop.paid()
    refund = await shop.refund(booking.id, 1000)
    await shop.set_refund(refund.id, status="pending", amount=900)

    assert drift(await shop.reconcile()) == {
        f"refunds[{refund.gateway_refund_id}].amount": (900, 1000),
        f"refunds[{refund.gateway_refund_id}].status": ("pending", "succeeded"),
    }


async def test_a_refund_the_gateway_never_made_is_reported(shop: Shop) -> None:
    booking = await shop.paid()
    row = {
        "id": uuid4(),
        "tenant_id": shop.tenant_id,
        "booking_id": booking.id,
        "gateway_refund_id": "re_never_made",
        "amount": 300,
        "currency": "EUR",
        "status": "succeeded",
        "reason": "forged",
        "created_at": shop.clock.now(),
        "updated_at": shop.clock.now(),
    }
    await shop.execute(insert(refunds).values(**row))

    assert drift(await shop.reconcile()) == {"refunds[re_never_made].amount": (300, 0)}


async def test_a_refund_recorded_under_another_gateway_id_is_reported(shop: Shop) -> None:
    booking = await shop.paid()
    refund = await shop.refund(booking.id, 1000)
    await shop.set_refund(refund.id, gateway_refund_id="re_mistyped")

    assert drift(await shop.reconcile()) == {
        f"refunds[{refund.gateway_refund_id}].id": ("re_mistyped", refund.gateway_refund_id)
    }


async def test_a_refund_stuck_in_requested_is_reported_once_past_its_grace(shop: Shop) -> None:
    booking = await shop.paid()
    shop.gateway.down.add("refund")
    await shop.cancel(booking.id)  # cancelled; the refund stays requested
    [refund] = await shop.our_refunds(booking.id)

    young = await shop.reconcile()
    shop.clock.advance(16 * 60)
    stuck = await shop.reconcile()

    assert young == []
    assert drift(stuck) == {f"refunds[{refund.id}].status": ("requested", None)}
    assert f"{PRICE} EUR" in stuck[0].detail


async def test_a_refund_whose_answer_was_lost_is_reported_as_made_at_the_gateway(shop: Shop) -> None:
    booking = await shop.paid()
    shop.gateway.lose_answers.add("refund")
    asked = await shop.refund(booking.id, 1000)  # answered as still to be paid: the provider said nothing
    made = await shop.fake.list_refunds(booking.payment.intent_id if booking.payment else "")

    assert asked.state is RefundState.REQUESTED
    assert drift(await shop.reconcile()) == {
        f"refunds[{made[0].id}].status": ("requested", "succeeded"),
        "refunded": (0, 1000),
        "ledger.refunded": (0, 1000),
    }


async def test_a_late_payment_that_was_never_given_back_is_reported(shop: Shop) -> None:
    scarce = await shop.new_listing(capacity=1)
    late = await shop.check_out(scarce, ttl=60)
    shop.clock.advance(61)
    await shop.uc.expire_holds()()
    await shop.uc.place_hold()(PlaceHold(shop.tenant_id, scarce[0], "rival", ((scarce[1], 1),)))
    shop.gateway.down.add("refund")
    with pytest.raises(PaymentProviderUnavailableError):  # the capture is recorded, its refund not made
        await shop.pay(late)
    [refund] = await shop.our_refunds(late.id)
    in_flight = await shop.reconcile()
    await shop.set_refund(refund.id, status="failed")  # as if the gateway had refused it

    findings = await shop.reconcile()

    assert in_flight == []
    assert drift(findings) == {"unsold_payment.refunded": (PRICE, 0)}
    assert findings[0].difference == PRICE


async def test_a_ledger_without_the_providers_fee_is_reported(shop: Shop) -> None:
    booking = await shop.paid()
    async with shop.container.gateways.uow() as uow:
        view = await uow.ledger.booking_view(shop.tenant_id, booking.id)
        fee = next(tx for tx in view.transactions if tx.kind is TransactionKind.FEE_CHARGED)
        await uow.ledger.append(ledger.reversal_of(fee, at=shop.clock.now()))
        await uow.commit()

    assert drift(await shop.reconcile()) == {"ledger.fees": (0, FEE)}


async def test_an_intent_the_gateway_does_not_know_is_reported(shop: Shop) -> None:
    booking = await shop.paid()
    await shop.execute(update(bookings).where(bookings.c.id == booking.id).values(payment_intent_id="pi_unknown"))

    assert drift(await shop.reconcile()) == {"payment_intent": ("pi_unknown", None)}


@pytest.mark.parametrize("call", ["retrieve_intent", "list_refunds", "fee"])
async def test_the_gateway_being_down_fails_the_run_instead_of_reporting_drift(shop: Shop, call: str) -> None:
    await shop.paid()
    shop.gateway.down.add(call)

    with pytest.raises(PaymentProviderUnavailableError):
        await shop.reconcile()


async def test_the_scope_limits_the_run_to_a_listing_or_a_tenant(shop: Shop) -> None:
    await shop.paid()
    other = await shop.new_listing()
    drifting = await shop.check_out(other)
    await shop.pay(drifting, deliver=False)
    first_listing, tenant = shop.listing_id, shop.tenant_id
    await shop.open("globex")

    in_first = await shop.reconcile(ReconciliationScope(listing_id=first_listing))
    in_other = await shop.reconcile(ReconciliationScope(tenant_id=tenant, listing_id=other[0]))
    in_tenant = await shop.reconcile(ReconciliationScope(tenant_id=tenant))
    elsewhere = await shop.reconcile(ReconciliationScope(tenant_id=shop.tenant_id))

    assert in_first == []
    assert {f.subject for f in in_other} == {f"booking:{drifting.id}"}
    assert drift(in_tenant) == drift(in_other)
    assert (elsewhere, shop.progress) == ([], [(0, 0), (0, 0)])


async def test_bookings_are_read_a_page_at_a_time_and_every_one_is_checked(shop: Shop) -> None:
    paid = [await shop.paid() for _ in range(5)]
    await shop.drift_intent(paid[-1], amount=PRICE + 1)

    findings = await shop.reconcile(batch=2)

    assert [(f.subject, f.field) for f in findings] == [(f"booking:{paid[-1].id}", "amount")]
    assert shop.progress == [(0, 5), (5, 5)]


async def test_drift_that_settles_while_it_is_looked_at_is_not_reported(shop: Shop) -> None:
    booking = await shop.check_out()
    webhooks = await shop.fake.pay(booking.payment.intent_id if booking.payment else "")

    async def deliver_midway(intent_id: str) -> Any:
        if webhooks:  # the payment's webhook arrives while the reconciler looks at the gateway
            await shop.deliver([webhooks.pop()])
        return await shop.fake.list_refunds(intent_id)

    shop.gateway.list_refunds = deliver_midway  # type: ignore[method-assign]

    assert await shop.reconcile() == []
    assert (await shop.booking(booking.id)).status.value == "confirmed"
