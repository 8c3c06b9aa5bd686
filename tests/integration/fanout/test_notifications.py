"""Customer emails end to end on real databases: relayed, rendered, written to the file sink,
retried while the mail server fails, and given up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from uuid import UUID, uuid4

from sqlalchemy import select

from application.ports.email import EmailMessage
from application.use_cases.relay_outbox import RelayOutboxHandler
from application.use_cases.send_notifications import SendNotificationsHandler
from domain.events import BookingExpired, BookingRefunded
from domain.notifications import NotificationStatus
from domain.webhooks import RetryPolicy
from infrastructure.clock import RandomIds
from infrastructure.jobs.dead_letters import SqlDeadLetterStore
from infrastructure.mail.file_sink import FileEmailSender
from infrastructure.persistence.delivery_tables import notifications
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from tests.fakes.clock import FakeClock
from tests.integration.fanout.conftest import NOW, Seed

UowFactory = Callable[[], SqlUnitOfWork]
POLICY = RetryPolicy(max_attempts=3, base_seconds=60, cap_seconds=600)


class MailServerDown(ConnectionError):
    pass


class DownMailServer:
    """Our email port with the server unreachable: the third party is what is faked."""

    def __init__(self) -> None:
        self.tried: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.tried.append(message)
        raise MailServerDown("connection refused")


def _sender(uow: UowFactory, clock: FakeClock, email: object, seed: Seed) -> SendNotificationsHandler:
    letters = SqlDeadLetterStore(seed.database)
    return SendNotificationsHandler(uow, clock, RandomIds(), email, POLICY, lambda: 0.0, letters)  # type: ignore[arg-type]


async def _states(seed: Seed, booking_id: UUID) -> list[tuple[str, str, int]]:
    statement = select(notifications).where(notifications.c.booking_id == booking_id)
    async with seed.database.reading() as session:
        rows = (await session.execute(statement)).all()
    return [(row.kind, row.status, row.attempts) for row in rows]


async def test_booking_emails_are_written_to_the_file_sink(
    uow: UowFactory, clock: FakeClock, seed: Seed, tmp_path: Path
) -> None:
    tenant = await seed.tenant()
    booking = await seed.booking(tenant, "jane.doe@example.com", price=1250)  # two units: EUR 25.00
    hold = uuid4()
    await seed.events([BookingRefunded(booking.id, tenant, hold, NOW, 1000)])
    await seed.booking(tenant, None)  # no contact: no email
    await RelayOutboxHandler(uow, clock, RandomIds(), SqlDeadLetterStore(seed.database))()
    sink = FileEmailSender(tmp_path / "mail", "Holdfast <no-reply@example.com>")

    assert await _sender(uow, clock, sink, seed)() == 2
    assert await _sender(uow, clock, sink, seed)() == 0  # sent once

    messages = sorted(sink.read(), key=lambda message: message["subject"])
    assert [(m["to"], m["from"], m["subject"]) for m in messages] == [
        ("jane.doe@example.com", "Holdfast <no-reply@example.com>", "Your booking for The Show is confirmed"),
        ("jane.doe@example.com", "Holdfast <no-reply@example.com>", "Your refund for The Show"),
    ]
    assert "Total: EUR 25.00" in messages[0]["body"]
    assert str(booking.id) in messages[0]["body"]
    assert "We refunded EUR 10.00" in messages[1]["body"]
    assert len({m["message_id"] for m in messages}) == 2


async def test_a_failing_mail_server_is_retried_with_backoff_then_given_up(
    uow: UowFactory, clock: FakeClock, seed: Seed
) -> None:
    tenant = await seed.tenant()
    booking = await seed.booking(tenant, "ann@example.com")
    await RelayOutboxHandler(uow, clock, RandomIds(), SqlDeadLetterStore(seed.database))()
    down = DownMailServer()
    send = _sender(uow, clock, down, seed)

    assert await send() == 0
    assert await send() == 0  # not due again before the backoff
    assert len(down.tried) == 1
    clock.advance(30)
    await send()
    clock.advance(60)
    await send()
    clock.advance(3600)
    await send()

    assert len(down.tried) == 3  # max_attempts, then no more
    assert len({message.message_id for message in down.tried}) == 1  # the same message each time
    assert await _states(seed, booking.id) == [("booking_confirmed", NotificationStatus.DEAD.value, 3)]


async def test_an_expired_booking_is_told_nothing_was_charged(
    uow: UowFactory, clock: FakeClock, seed: Seed, tmp_path: Path
) -> None:
    tenant = await seed.tenant()
    booking = await seed.booking(tenant, "bob@example.com")
    await seed.events([BookingExpired(booking.id, tenant, uuid4(), NOW)])
    await RelayOutboxHandler(uow, clock, RandomIds(), SqlDeadLetterStore(seed.database))()
    sink = FileEmailSender(tmp_path, "holdfast@example.com")

    await _sender(uow, clock, sink, seed)()

    expired = [m for m in sink.read() if "expired" in m["subject"]]
    assert len(expired) == 1
    assert "Nothing was charged" in expired[0]["body"]


class FirstAttemptFails:
    """A mail server that refuses the first attempt at each booking's first email, and records
    what it accepted, in the order it accepted it."""

    def __init__(self, first_subject: str) -> None:
        self.first_subject = first_subject
        self.refused: set[str] = set()
        self.accepted: list[tuple[str, str]] = []  # (booking reference, subject)

    async def send(self, message: EmailMessage) -> None:
        await asyncio.sleep(0)  # let concurrent senders interleave, as a network call would
        if message.subject == self.first_subject and message.message_id not in self.refused:
            self.refused.add(message.message_id)
            raise MailServerDown("421 try again later")
        booking = message.body.split("Booking reference: ", 1)[1].split("\n", 1)[0]
        self.accepted.append((booking, message.subject))


async def test_emails_of_a_booking_go_out_in_the_order_of_its_events(
    uow: UowFactory, clock: FakeClock, seed: Seed
) -> None:
    tenant = await seed.tenant()
    bookings = [await seed.booking(tenant, f"guest{n}@example.com") for n in range(4)]
    await seed.events([BookingRefunded(b.id, tenant, b.hold_id, NOW, 1000) for b in bookings])
    await RelayOutboxHandler(uow, clock, RandomIds(), SqlDeadLetterStore(seed.database))()
    confirmed, refunded = "Your booking for The Show is confirmed", "Your refund for The Show"
    sink = FirstAttemptFails(confirmed)

    for _ in range(4):  # concurrent rounds, each past the backoff of the one before
        await asyncio.gather(*(_sender(uow, clock, sink, seed)() for _ in range(3)))
        clock.advance(600)

    assert len(sink.refused) == len(bookings)  # every first email failed once
    for booking in bookings:
        sent = [subject for ref, subject in sink.accepted if ref == str(booking.id)]
        assert sent == [confirmed, refunded], booking.id
