"""The Stripe SDK's errors, as it raises them, translated into domain errors (or let through)."""

from __future__ import annotations

import pytest
import stripe

from domain.errors import NotFoundError, PaymentDeclinedError, PaymentProviderUnavailableError
from infrastructure.payments.stripe_errors import (
    StripeConfigurationError,
    is_over_refund,
    translate,
    translated_errors,
)


def invalid(code: str | None = None, param: str | None = None, status: int = 400) -> stripe.InvalidRequestError:
    return stripe.InvalidRequestError("refused", param, code, http_status=status)


def test_a_card_error_is_a_decline_with_the_issuers_reason() -> None:
    body = {"error": {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"}}
    error = stripe.CardError(
        "Your card has insufficient funds.", None, "card_declined", http_status=402, json_body=body
    )
    declined = translate(error)
    assert isinstance(declined, PaymentDeclinedError)
    assert (declined.message, declined.decline_code) == ("Your card has insufficient funds.", "insufficient_funds")
    bare = translate(stripe.CardError("Your card was declined.", None, "card_declined", http_status=402))
    assert isinstance(bare, PaymentDeclinedError)
    assert bare.decline_code == "card_declined"


@pytest.mark.parametrize(
    "error",
    [
        stripe.APIConnectionError("connection refused"),
        stripe.RateLimitError("too many requests", http_status=429),
        stripe.APIError("internal", http_status=500),
        stripe.APIError("bad gateway", http_status=502),
        stripe.APIError("same key in flight", http_status=409),
        stripe.APIError("invalid JSON from the server"),
    ],
)
def test_an_outage_is_retryable(error: stripe.StripeError) -> None:
    assert isinstance(translate(error), PaymentProviderUnavailableError)


@pytest.mark.parametrize(
    "error",
    [stripe.AuthenticationError("Invalid API Key", http_status=401), stripe.PermissionError("no", http_status=403)],
)
def test_refused_credentials_are_our_misconfiguration(error: stripe.StripeError) -> None:
    assert isinstance(translate(error), StripeConfigurationError)


def test_a_missing_intent_is_not_found_when_the_caller_named_it() -> None:
    found = translate(invalid("resource_missing", "intent"), "pi_1")
    assert isinstance(found, NotFoundError)
    assert found.ident == "pi_1"
    assert isinstance(translate(invalid(status=404), "pi_1"), NotFoundError)
    assert translate(invalid("resource_missing")) is None


@pytest.mark.parametrize(
    "error", [invalid("parameter_unknown", "colour"), stripe.IdempotencyError("key reused", http_status=400)]
)
def test_our_own_mistakes_are_let_through(error: stripe.StripeError) -> None:
    assert translate(error, "pi_1") is None
    with pytest.raises(type(error)) as caught, translated_errors("pi_1"):
        raise error
    assert caught.value is error


def test_translated_errors_chain_the_sdks_error() -> None:
    error = stripe.APIConnectionError("down")
    with pytest.raises(PaymentProviderUnavailableError) as caught, translated_errors():
        raise error
    assert caught.value.__cause__ is error


def test_an_over_refund_is_recognised_by_code_or_by_param() -> None:
    assert is_over_refund(invalid("charge_already_refunded"))
    assert is_over_refund(invalid("amount_too_large"))
    assert is_over_refund(invalid(None, "amount"))  # Stripe's "greater than unrefunded amount" carries no code
    assert not is_over_refund(invalid("charge_disputed"))
    assert not is_over_refund(stripe.APIError("amount", http_status=500))
