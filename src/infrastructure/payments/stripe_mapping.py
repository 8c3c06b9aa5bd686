"""Stripe's JSON objects (as plain dicts) mapped to the payment port's dataclasses.

Working from plain dicts rather than the SDK's objects lets the fake gateway render its state
as Stripe JSON and go through the very same mapping, so the two cannot drift apart. Reads are
lenient (``.get``) because Stripe adds fields over time and look-alike servers omit some.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from application.ports.payments import GatewayEvent, IntentStatus, PaymentIntent, Refund, RefundStatus
from domain.errors import InvalidValueError


def id_of(field: Any) -> str | None:
    """An expandable field is an id, or the whole object once expanded (or as some servers send it)."""
    if isinstance(field, Mapping):
        return str(field["id"])
    return None if field is None else str(field)


def intent_from_stripe(data: Mapping[str, Any]) -> PaymentIntent:
    return PaymentIntent(
        id=data["id"],
        status=IntentStatus(data["status"]),
        amount=int(data["amount"]),
        currency=str(data["currency"]).lower(),
        amount_received=int(data.get("amount_received") or 0),
        client_secret=data.get("client_secret"),
        metadata=_strings(data.get("metadata")),
        latest_charge=id_of(data.get("latest_charge")),
        last_error=_last_error(data.get("last_payment_error")),
    )


def refund_from_stripe(data: Mapping[str, Any], intent_id: str) -> Refund:
    """``intent_id`` stands in when the refund names only its charge, as older ones did."""
    return Refund(
        id=data["id"],
        payment_intent_id=id_of(data.get("payment_intent")) or intent_id,
        amount=int(data["amount"]),
        currency=str(data["currency"]).lower(),
        status=RefundStatus(data["status"]),
        metadata=_strings(data.get("metadata")),
    )


def fee_from_stripe(intent: Mapping[str, Any]) -> int | None:
    """The fee on the intent's charge, read from an intent retrieved with its balance transaction expanded."""
    charge = intent.get("latest_charge")
    if not isinstance(charge, Mapping) or charge.get("status") != "succeeded":
        return None
    transaction = charge.get("balance_transaction")
    if not isinstance(transaction, Mapping) or transaction.get("fee") is None:
        return None
    return int(transaction["fee"])


def event_from_stripe(data: Any) -> GatewayEvent:
    """A verified webhook body; one that is signed yet not shaped like an event is still refused."""
    try:
        return GatewayEvent(
            id=str(data["id"]),
            type=str(data["type"]),
            created=datetime.fromtimestamp(int(data["created"]), UTC),
            object=dict(data["data"]["object"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidValueError("payload", "not a Stripe event (id, type, created, data.object)") from exc


def _last_error(error: Any) -> str | None:
    if not isinstance(error, Mapping):
        return None
    return error.get("code") or error.get("message")


def _strings(metadata: Any) -> dict[str, str]:
    return {str(key): str(value) for key, value in (metadata or {}).items()}
