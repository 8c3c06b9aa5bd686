"""Stripe's JSON, as its API reference documents it, mapped onto the payment port."""

from __future__ import annotations

from typing import Any

import pytest

from application.ports.payments import IntentStatus, RefundStatus
from domain.errors import InvalidValueError
from infrastructure.payments.stripe_mapping import (
    event_from_stripe,
    fee_from_stripe,
    intent_from_stripe,
    refund_from_stripe,
)


def stripe_intent(**changes: Any) -> dict[str, Any]:
    intent = {
        "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "object": "payment_intent",
        "amount": 2000,
        "amount_received": 2000,
        "currency": "EUR",
        "status": "succeeded",
        "client_secret": "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
        "metadata": {"booking_id": "b-1"},
        "latest_charge": "ch_3MtwBwLkdIwHu7ix28a3tqPa",
        "last_payment_error": None,
    }
    return {**intent, **changes}


def test_a_succeeded_intent() -> None:
    intent = intent_from_stripe(stripe_intent())
    assert (intent.status, intent.amount, intent.amount_received, intent.currency) == (
        IntentStatus.SUCCEEDED,
        2000,
        2000,
        "eur",
    )
    assert intent.client_secret is not None
    assert intent.client_secret.startswith(intent.id)
    assert (intent.latest_charge, dict(intent.metadata)) == ("ch_3MtwBwLkdIwHu7ix28a3tqPa", {"booking_id": "b-1"})


def test_a_declined_attempt_reports_its_error_code() -> None:
    error = {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "message": "..."}
    intent = intent_from_stripe(stripe_intent(status="requires_payment_method", last_payment_error=error))
    assert (intent.status, intent.last_error) == (IntentStatus.REQUIRES_PAYMENT_METHOD, "card_declined")
    assert intent_from_stripe(stripe_intent(last_payment_error={"message": "Oops"})).last_error == "Oops"


def test_an_expanded_charge_is_read_by_its_id_and_missing_fields_default() -> None:
    intent = intent_from_stripe(
        {"id": "pi_1", "amount": 10, "currency": "usd", "status": "processing", "latest_charge": {"id": "ch_1"}}
    )
    assert (intent.latest_charge, intent.amount_received, intent.metadata) == ("ch_1", 0, {})


def test_the_fee_comes_from_the_expanded_balance_transaction() -> None:
    charge = {"id": "ch_1", "status": "succeeded", "balance_transaction": {"id": "txn_1", "fee": 59}}
    assert fee_from_stripe(stripe_intent(latest_charge=charge)) == 59
    assert fee_from_stripe(stripe_intent(latest_charge={**charge, "balance_transaction": None})) is None
    assert fee_from_stripe(stripe_intent(latest_charge={**charge, "status": "failed"})) is None
    assert fee_from_stripe(stripe_intent(latest_charge=None)) is None


def test_a_refund() -> None:
    data = {"id": "re_1", "amount": 500, "currency": "EUR", "status": "pending", "payment_intent": "pi_1"}
    refund = refund_from_stripe(data, "pi_fallback")
    assert (refund.payment_intent_id, refund.currency, refund.status) == ("pi_1", "eur", RefundStatus.PENDING)
    assert refund_from_stripe({**data, "payment_intent": None}, "pi_fallback").payment_intent_id == "pi_fallback"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"id": "evt_1", "type": "x", "created": "soon", "data": {"object": {}}},
        {"id": "e", "type": "x", "created": 1},
    ],
)
def test_a_body_not_shaped_like_an_event_is_bad_input(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidValueError, match="payload"):
        event_from_stripe(body)
