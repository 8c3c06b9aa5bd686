"""Deliveries to a real HTTP endpoint on 127.0.0.1: signed and verifiable, retried with backoff,
in order per endpoint and aggregate, given up, and the endpoint disabled; never sent twice at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from application.ports.repositories import PageRequest
from application.use_cases.deliver_webhooks import DeliverWebhooksHandler
from application.use_cases.enable_webhook_endpoint import EnableWebhookEndpointHandler
from application.use_cases.relay_outbox import RelayOutboxHandler
from domain.events import BookingConfirmed, BookingRefunded, DomainEvent
from domain.outgoing_webhooks import DeliveryPolicy, DeliveryStatus, EndpointStatus, WebhookEndpoint
from domain.webhook_signatures import verify_signature
from infrastructure.clock import RandomIds
from infrastructure.jobs.dead_letters import SqlDeadLetterStore
from infrastructure.outgoing_http import HttpxWebhookSender
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from tests.fakes.clock import FakeClock
from tests.fakes.webhook_receiver import WebhookReceiver, webhook_receiver
from tests.integration.fanout.conftest import NOW, Seed

UowFactory = Callable[[], SqlUnitOfWork]


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver() as running:
        yield running


@pytest.fixture
async def sender() -> AsyncIterator[HttpxWebhookSender]:
    client = HttpxWebhookSender(timeout_seconds=5, private_targets=True, plain_http=True)  # a loopback receiver
    yield client
    await client.aclose()


def _deliverer(
    uow: UowFactory, clock: FakeClock, sender: HttpxWebhookSender, policy: DeliveryPolicy | None = None
) -> DeliverWebhooksHandler:
    return DeliverWebhooksHandler(uow, clock, RandomIds(), sender, policy or DeliveryPolicy(), lambda: 0.0)


async def _endpoint(uow: UowFactory, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    async with uow() as unit:
        return await unit.webhook_endpoints.get(endpoint.tenant_id, endpoint.id)


async def _history(uow: UowFactory, endpoint_id: UUID) -> list[tuple[DeliveryStatus, list[int | None]]]:
    async with uow() as unit:
        page = await unit.webhook_deliveries.history(endpoint_id, None, PageRequest(limit=100))
    return [(item.delivery.status, [a.status_code for a in item.attempts]) for item in page.items]


async def _confirmed(seed: Seed, tenant: UUID, uow: UowFactory, clock: FakeClock, count: int = 1) -> list[UUID]:
    bookings = [uuid4() for _ in range(count)]
    await seed.events([BookingConfirmed(booking, tenant, uuid4(), NOW) for booking in bookings])
    await RelayOutboxHandler(uow, clock, RandomIds(), SqlDeadLetterStore(seed.database))()
    return bookings


async def test_deliveries_are_signed_cloudevents_a_receiver_can_verify(
    uow: UowFactory, clock: FakeClock, seed: Seed, receiver: WebhookReceiver, sender: HttpxWebhookSender
) -> None:
    tenant = await seed.tenant()
    endpoint = await seed.endpoint(tenant, receiver.url())
    [booking] = await _confirmed(seed, tenant, uow, clock)

    assert await _deliverer(uow, clock, sender)() == 1

    [request] = receiver.received
    verify_signature(endpoint.secret, request.headers["holdfast-signature"], request.body, int(NOW.timestamp()))
    event = request.event
    assert (event["type"], event["subject"], event["specversion"]) == (
        "holdfast.booking.confirmed.v1",
        f"bookings/{booking}",
        "1.0",
    )
    assert request.headers["holdfast-event-id"] == event["id"]
    assert request.headers["content-type"].startswith("application/cloudevents+json")
    assert await _history(uow, endpoint.id) == [(DeliveryStatus.DELIVERED, [204])]
    assert await _deliverer(uow, clock, sender)() == 0  # delivered once, never again


async def test_a_failed_attempt_is_retried_after_the_backoff(
    uow: UowFactory, clock: FakeClock, seed: Seed, receiver: WebhookReceiver, sender: HttpxWebhookSender
) -> None:
    tenant = await seed.tenant()
    endpoint = await seed.endpoint(tenant, receiver.url())
    await _confirmed(seed, tenant, uow, clock)
    receiver.answers.extend([503, 429])
    deliver = _deliverer(uow, clock, sender)

    assert await deliver() == 1
    assert await deliver() == 0  # not due before the backoff (15 s with no jitter)
    clock.advance(15)
    assert await deliver() == 1
    clock.advance(29)
    assert await deliver() == 0
    clock.advance(1)
    assert await deliver() == 1

    assert await _history(uow, endpoint.id) == [(DeliveryStatus.DELIVERED, [503, 429, 204])]
    assert len({request.headers["holdfast-event-id"] for request in receiver.received}) == 1
    assert (await _endpoint(uow, endpoint)).consecutive_failures == 0


async def test_a_delivery_waits_for_the_earlier_ones_of_its_aggregate(
    uow: UowFactory, clock: FakeClock, seed: Seed, receiver: WebhookReceiver, sender: HttpxWebhookSender
) -> None:
    tenant = await seed.tenant()
    endpoint = await seed.endpoint(tenant, receiver.url())
    booking, hold = uuid4(), uuid4()
    await seed.events([BookingConfirmed(booking, tenant, hold, NOW), BookingRefunded(booking, tenant, hold, NOW, 5)])
    await RelayOutboxHandler(uow, clock, RandomIds(), SqlDeadLetterStore(seed.database))()
    receiver.answers.append(500)
    deliver = _deliverer(uow, clock, sender)

    assert await deliver() == 1  # the confirmation, which fails
    assert await deliver() == 0  # the refund waits behind it, even though it is due
    clock.advance(15)
    assert await deliver() == 2  # the confirmation again, then, only now, the refund

    assert [request.event["sequence"] for request in receiver.received] == ["1", "1", "2"]
    assert sorted(attempts for _, attempts in await _history(uow, endpoint.id)) == [[204], [500, 204]]


async def test_one_round_sends_every_due_event_of_a_booking_in_order(
    uow: UowFactory, clock: FakeClock, seed: Seed, receiver: WebhookReceiver, sender: HttpxWebhookSender
) -> None:
    tenant = await seed.tenant()
    endpoint = await seed.endpoint(tenant, receiver.url())
    bookings = [uuid4(), uuid4()]
    await seed.events(_five_events(bookings[0], tenant) + _five_events(bookings[1], tenant))
    await RelayOutboxHandler(uow, clock, RandomIds(), SqlDeadLetterStore(seed.database))()

    assert await _deliverer(uow, clock, sender)() == 10  # one round, the clock never moves

    for booking in bookings:
        sent = [r.event["sequence"] for r in receiver.received if r.event["subject"] == f"bookings/{booking}"]
        assert sent == ["1", "2", "3", "4", "5"]
    assert [status for status, _ in await _history(uow, endpoint.id)] == [DeliveryStatus.DELIVERED] * 10


async def test_a_round_stops_a_booking_at_its_failed_event_and_at_its_limit(
    uow: UowFactory, clock: FakeClock, seed: Seed, receiver: WebhookReceiver, sender: HttpxWebhookSender
) -> None:
    tenant = await seed.tenant()
    await seed.endpoint(tenant, receiver.url())
    booking = uuid4()
    await seed.events(_five_events(booking, tenant))
    await RelayOutboxHandler(uow, clock, RandomIds(), SqlDeadLetterStore(seed.database))()
    receiver.answers.extend([204, 500])
    deliver = _deliverer(uow, clock, sender)

    assert await deliver() == 2  # the first, then the second fails: the rest wait behind it
    clock.advance(15)
    assert await deliver(limit=2) == 2  # the second again and the third: the limit bounds a round
    assert await deliver() == 2

    assert [r.event["sequence"] for r in receiver.received] == ["1", "2", "2", "3", "4", "5"]


def _five_events(booking: UUID, tenant: UUID) -> list[DomainEvent]:
    hold = uuid4()
    confirmed: list[DomainEvent] = [BookingConfirmed(booking, tenant, hold, NOW)]
    return confirmed + [BookingRefunded(booking, tenant, hold, NOW, amount) for amount in (1, 2, 3, 4)]


async def test_refusals_disable_the_endpoint_until_its_tenant_enables_it(
    uow: UowFactory, clock: FakeClock, seed: Seed, receiver: WebhookReceiver, sender: HttpxWebhookSender
) -> None:
    tenant = await seed.tenant()
    endpoint = await seed.endpoint(tenant, receiver.url())
    await _confirmed(seed, tenant, uow, clock, count=6)
    receiver.default = 410
    deliver = _deliverer(uow, clock, sender, DeliveryPolicy(disable_after_failures=3))

    assert await deliver(limit=3) == 3
    assert await deliver() == 0  # disabled: the other three wait
    stored = await _endpoint(uow, endpoint)
    assert (stored.status, stored.consecutive_failures) == (EndpointStatus.DISABLED, 3)
    statuses = sorted(status for status, _ in await _history(uow, endpoint.id))
    assert statuses == [DeliveryStatus.FAILED] * 3 + [DeliveryStatus.PENDING] * 3

    receiver.default = 200
    enabled = await EnableWebhookEndpointHandler(uow, clock)(tenant, endpoint.id)
    assert (enabled.status, enabled.consecutive_failures) == (EndpointStatus.ENABLED, 0)
    assert await deliver() == 3
    assert len(receiver.received) == 6


async def test_an_endpoint_failing_for_days_is_given_up_and_disabled(
    uow: UowFactory, clock: FakeClock, seed: Seed, receiver: WebhookReceiver, sender: HttpxWebhookSender
) -> None:
    tenant = await seed.tenant()
    endpoint = await seed.endpoint(tenant, receiver.url())
    await _confirmed(seed, tenant, uow, clock)
    receiver.default = 502
    deliver = _deliverer(uow, clock, sender, DeliveryPolicy(give_up_after=timedelta(minutes=2)))

    for wait in (0, 15, 30, 60):  # the fourth try would fall after the two minutes
        clock.advance(wait)
        assert await deliver() == 1

    assert await _history(uow, endpoint.id) == [(DeliveryStatus.FAILED, [502, 502, 502, 502])]
    assert (await _endpoint(uow, endpoint)).status is EndpointStatus.DISABLED


async def test_an_unreachable_endpoint_is_a_failed_attempt_with_an_error(
    uow: UowFactory, clock: FakeClock, seed: Seed, sender: HttpxWebhookSender
) -> None:
    tenant = await seed.tenant()
    async with webhook_receiver() as gone:
        url = gone.url()
    endpoint = await seed.endpoint(tenant, url)  # nobody listens there any more
    await _confirmed(seed, tenant, uow, clock)

    assert await _deliverer(uow, clock, sender)() == 1

    async with uow() as unit:
        [item] = (await unit.webhook_deliveries.history(endpoint.id, None, PageRequest())).items
    [attempt] = item.attempts
    assert (item.delivery.status, attempt.status_code) == (DeliveryStatus.PENDING, None)
    assert attempt.error
    assert "Connect" in attempt.error


async def test_racing_senders_never_send_a_delivery_twice(
    uow: UowFactory, clock: FakeClock, seed: Seed, receiver: WebhookReceiver, sender: HttpxWebhookSender
) -> None:
    tenant = await seed.tenant()
    endpoint = await seed.endpoint(tenant, receiver.url())
    await _confirmed(seed, tenant, uow, clock, count=20)

    counts = await asyncio.gather(*(_deliverer(uow, clock, sender)() for _ in range(4)))

    assert sum(counts) == 20
    ids = [request.headers["holdfast-event-id"] for request in receiver.received]
    assert len(ids) == len(set(ids)) == 20
    assert [status for status, _ in await _history(uow, endpoint.id)] == [DeliveryStatus.DELIVERED] * 20
