"""Outgoing webhooks' rules: what an answer means, backoff, giving up, disabling an endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidValueError
from domain.outgoing_webhooks import (
    ALL_EVENTS,
    Delivery,
    DeliveryOutcome,
    DeliveryPolicy,
    DeliveryStatus,
    EndpointStatus,
    InvalidWebhookUrlError,
    UnknownEventTypeError,
    Verdict,
    WebhookEndpoint,
    check_event_types,
    verdict_for,
)

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
POLICY = DeliveryPolicy()
CONFIRMED = "holdfast.booking.confirmed.v1"
KNOWN = frozenset({CONFIRMED, "holdfast.booking.refunded.v1"})


def an_endpoint(**changes: object) -> WebhookEndpoint:
    values: dict[str, object] = {
        "id": uuid4(),
        "tenant_id": uuid4(),
        "url": "https://hooks.example.com/holdfast",
        "event_types": (ALL_EVENTS,),
        "secret": "s3cret",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(changes)
    return WebhookEndpoint(**values)  # type: ignore[arg-type]


def a_delivery() -> Delivery:
    return Delivery(uuid4(), uuid4(), uuid4(), CONFIRMED, uuid4(), 1, NOW, NOW, next_attempt_at=NOW)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (299, Verdict.DELIVERED),
        (400, Verdict.REJECTED),
        (401, Verdict.REJECTED),
        (404, Verdict.REJECTED),
        (410, Verdict.REJECTED),
        (408, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (301, Verdict.RETRY),
        (None, Verdict.RETRY),
    ],
)
def test_what_an_answer_means(status: int | None, verdict: Verdict) -> None:
    assert verdict_for(status) is verdict


def test_backoff_doubles_with_equal_jitter_up_to_the_cap() -> None:
    assert POLICY.delay(1, 0.0) == timedelta(seconds=15)
    assert POLICY.delay(1, 0.999999) < timedelta(seconds=30)
    assert POLICY.delay(3, 0.0) == timedelta(seconds=60)
    assert POLICY.delay(40, 0.0) == timedelta(hours=3)  # half of the six-hour cap
    assert POLICY.delay(40, 1.0) == timedelta(hours=6)


def test_a_failing_delivery_is_retried_for_three_days_then_exhausted() -> None:
    delivery, now, outcomes = a_delivery(), NOW, []
    while delivery.status is DeliveryStatus.PENDING:
        outcomes.append(delivery.record(503, "HTTP 503", now, POLICY, jitter=1.0))
        assert delivery.next_attempt_at is None or delivery.next_attempt_at <= NOW + timedelta(days=3)
        now = delivery.next_attempt_at or now
    assert outcomes[-1] is DeliveryOutcome.EXHAUSTED
    assert set(outcomes[:-1]) == {DeliveryOutcome.RETRYING}
    assert 15 <= delivery.attempts <= 25  # "for days", not for ever
    assert (delivery.status, delivery.last_status_code, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 503, None)


def test_a_2xx_delivers_and_a_refusal_fails_at_once() -> None:
    delivered, refused = a_delivery(), a_delivery()
    assert delivered.record(204, None, NOW, POLICY, 0.5) is DeliveryOutcome.DELIVERED
    assert (delivered.status, delivered.delivered_at, delivered.attempts) == (DeliveryStatus.DELIVERED, NOW, 1)
    assert refused.record(410, "HTTP 410", NOW, POLICY, 0.5) is DeliveryOutcome.REJECTED
    assert (refused.status, refused.next_attempt_at) == (DeliveryStatus.FAILED, None)


def test_a_retry_is_due_after_the_backoff() -> None:
    delivery = a_delivery()
    assert delivery.record(None, "ConnectError", NOW, POLICY, 0.0) is DeliveryOutcome.RETRYING
    assert delivery.next_attempt_at == NOW + timedelta(seconds=15)
    assert delivery.status is DeliveryStatus.PENDING


def test_refusals_disable_the_endpoint_after_n_failures_in_a_row() -> None:
    endpoint = an_endpoint()
    for _ in range(POLICY.disable_after_failures - 1):
        endpoint.after_attempt(DeliveryOutcome.REJECTED, NOW, POLICY)
    assert endpoint.enabled
    endpoint.after_attempt(DeliveryOutcome.REJECTED, NOW, POLICY)
    assert endpoint.status is EndpointStatus.DISABLED
    assert endpoint.consecutive_failures == POLICY.disable_after_failures
    assert endpoint.disabled_at == NOW
    assert endpoint.disabled_reason


def test_a_success_resets_the_count_and_retries_alone_never_disable() -> None:
    endpoint = an_endpoint()
    for _ in range(POLICY.disable_after_failures - 1):
        endpoint.after_attempt(DeliveryOutcome.REJECTED, NOW, POLICY)
    endpoint.after_attempt(DeliveryOutcome.DELIVERED, NOW, POLICY)
    endpoint.after_attempt(DeliveryOutcome.REJECTED, NOW, POLICY)
    assert (endpoint.enabled, endpoint.consecutive_failures) == (True, 1)
    for _ in range(50):
        endpoint.after_attempt(DeliveryOutcome.RETRYING, NOW, POLICY)
    assert endpoint.enabled


def test_an_exhausted_delivery_disables_the_endpoint_and_enabling_starts_afresh() -> None:
    endpoint = an_endpoint()
    endpoint.after_attempt(DeliveryOutcome.EXHAUSTED, NOW, POLICY)
    assert endpoint.status is EndpointStatus.DISABLED
    later = NOW + timedelta(hours=1)
    endpoint.enable(later)
    assert (endpoint.status, endpoint.consecutive_failures, endpoint.disabled_reason) == (
        EndpointStatus.ENABLED,
        0,
        None,
    )
    assert endpoint.updated_at == later
    endpoint.enable(later + timedelta(hours=1))  # enabling an enabled endpoint changes nothing
    assert endpoint.updated_at == later


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "example.com/hook",
        "https://",
        "https://user:pw@example.com/hook",
        "https://example.com:99999/hook",
        "https://exa mple.com/hook",
        "javascript:alert(1)",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_endpoint_urls_are_absolute_http_urls_without_credentials(url: str) -> None:
    with pytest.raises(InvalidWebhookUrlError) as caught:
        an_endpoint(url=url)
    assert caught.value.code == "invalid_webhook_url"
    assert caught.value.field == "url"


def test_good_urls_are_kept() -> None:
    for url in ("http://127.0.0.1:8080/in", "https://hooks.example.com/a?b=c"):
        assert an_endpoint(url=url).url == url


def test_subscriptions() -> None:
    assert check_event_types((CONFIRMED, CONFIRMED), KNOWN) == (CONFIRMED,)
    assert check_event_types((CONFIRMED, ALL_EVENTS), KNOWN) == (ALL_EVENTS,)
    with pytest.raises(UnknownEventTypeError):
        check_event_types(("holdfast.booking.confirmd.v1",), KNOWN)
    with pytest.raises(InvalidValueError):
        check_event_types((), KNOWN)
    only = an_endpoint(event_types=(CONFIRMED,))
    assert only.subscribes_to(CONFIRMED)
    assert not only.subscribes_to("holdfast.booking.refunded.v1")
    assert an_endpoint().subscribes_to("holdfast.booking.refunded.v1")


def test_policies_refuse_nonsense() -> None:
    with pytest.raises(InvalidValueError):
        DeliveryPolicy(base_seconds=0)
    with pytest.raises(InvalidValueError):
        DeliveryPolicy(give_up_after=timedelta(0))
    with pytest.raises(InvalidValueError):
        DeliveryPolicy(disable_after_failures=0)
