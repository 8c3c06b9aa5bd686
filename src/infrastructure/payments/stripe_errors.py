"""The one translation from the Stripe SDK's errors to domain errors.

- A card problem (``CardError``) is the customer's: ``PaymentDeclinedError``, a 402 they can act on.
- Stripe out of reach, rate-limiting us, failing (5xx) or busy with the same idempotency key
  (409): ``PaymentProviderUnavailableError``, a 503 that is safe to retry.
- Stripe rejecting our own credentials (401/403) is neither: it is our misconfiguration, and
  telling clients to "retry later" would hide an outage that only an operator can end. It
  becomes ``StripeConfigurationError``, logged as an unexpected 500 that names the setting.
- A missing object (``resource_missing``, or a plain 404) is ``NotFoundError`` when the caller
  says which payment intent it asked for.
Anything else (a parameter we got wrong, a reused idempotency key) is our bug and is re-raised.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import stripe

from domain.errors import NotFoundError, PaymentDeclinedError, PaymentProviderUnavailableError

RETRYABLE_STATUSES = frozenset({409})  # a concurrent request with the same idempotency key


class StripeConfigurationError(RuntimeError):
    """Stripe refused our API key or its permissions: an operator must fix the settings."""


@contextmanager
def translated_errors(intent_id: str | None = None) -> Iterator[None]:
    """Run a Stripe call, turning its errors into domain errors (``raise ... from`` the SDK's)."""
    try:
        yield
    except stripe.StripeError as exc:
        translated = translate(exc, intent_id)
        if translated is None:
            raise
        raise translated from exc


def translate(exc: stripe.StripeError, intent_id: str | None = None) -> Exception | None:
    """The error to raise instead of ``exc``, or None to let ``exc`` through."""
    if isinstance(exc, stripe.CardError):
        return PaymentDeclinedError(exc.user_message or "the card was declined", _decline_code(exc))
    if _provider_fault(exc):
        return PaymentProviderUnavailableError(f"Stripe is unavailable ({type(exc).__name__}); retry later")
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return StripeConfigurationError(f"Stripe refused our credentials; check HOLDFAST_STRIPE_API_KEY: {exc}")
    if intent_id is not None and _missing(exc):
        return NotFoundError("payment_intent", intent_id)
    return None


def is_over_refund(exc: stripe.StripeError) -> bool:
    """Stripe's refusal of a refund beyond what is left: by code, or (as it often sends) by param alone."""
    if not isinstance(exc, stripe.InvalidRequestError):
        return False
    return exc.code in {"charge_already_refunded", "amount_too_large"} or exc.param == "amount"


def _provider_fault(exc: stripe.StripeError) -> bool:
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return True
    if not isinstance(exc, stripe.APIError):
        return False
    status = exc.http_status
    return status is None or status >= 500 or status in RETRYABLE_STATUSES


def _missing(exc: stripe.StripeError) -> bool:
    return isinstance(exc, stripe.InvalidRequestError) and (exc.code == "resource_missing" or exc.http_status == 404)


def _decline_code(exc: stripe.CardError) -> str | None:
    """The issuer's reason (``insufficient_funds``...) when Stripe gives one, else the error code."""
    error = exc.json_body.get("error") if isinstance(exc.json_body, dict) else None
    decline_code = error.get("decline_code") if isinstance(error, dict) else None
    return decline_code or exc.code
