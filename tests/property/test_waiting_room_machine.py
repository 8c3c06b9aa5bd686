"""The waiting room's fairness, proven against a plain reference model, on every adapter.

Hypothesis drives joins, re-joins, leaves, clock moves (pass expiries, periods), releases and
pass uses against an adapter (Redis with the real server; SQL on SQLite and on Postgres) and
against ``RoomModel``; after every step every ticket ever issued must read the same in both:
first come, first served, positions exact, and each place admitted once (its admission time,
once set, never moves).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from redis.asyncio import Redis
from sqlalchemy import text

from application.ports.waiting_room import WaitingRoom
from domain.waiting_room import QUEUE_PASS_ERRORS, QueueSettings, TicketState
from infrastructure.persistence.database import Database
from infrastructure.persistence.metadata import metadata
from infrastructure.persistence.queue_tables import queue_pass_holds, queue_rooms, queue_tickets
from infrastructure.waiting_room.redis_room import RedisWaitingRoom
from infrastructure.waiting_room.sql_room import SqlWaitingRoom

T = TypeVar("T")
RoomFactory = Callable[[], Any]  # an async context manager yielding a WaitingRoom
BASE_TIME = datetime(2030, 1, 1, tzinfo=UTC)
SUBJECTS = ("key:ann", "key:bob", "user:cy", "user:dee")
HOLD_IDS = tuple(UUID(int=n) for n in range(1, 5))
QUEUE_TABLES = [queue_rooms, queue_tickets, queue_pass_holds]


@dataclass
class ModelTicket:
    id: UUID
    subject: str
    seq: int
    joined_at: datetime
    admitted_at: datetime | None = None
    expires_at: datetime | None = None
    holds: set[UUID] = field(default_factory=set)

    def live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass
class RoomModel:
    """One listing's queue as the rules say it behaves (application/ports/waiting_room.py)."""

    queue: QueueSettings
    tickets: dict[UUID, ModelTicket] = field(default_factory=dict)
    seq: int = 0
    released_at: datetime | None = None

    def _of(self, subject: str) -> ModelTicket | None:
        return next((t for t in self.tickets.values() if t.subject == subject), None)

    def join(self, subject: str, fresh: UUID, now: datetime) -> tuple[UUID, bool]:
        mine = self._of(subject)
        if mine is not None and mine.live(now):
            return mine.id, False
        if mine is not None:
            del self.tickets[mine.id]
        self.seq += 1
        self.tickets[fresh] = ModelTicket(fresh, subject, self.seq, now)
        return fresh, True

    def waiting(self) -> list[ModelTicket]:
        return sorted((t for t in self.tickets.values() if t.admitted_at is None), key=lambda t: t.seq)

    def release(self, now: datetime) -> int:
        if self.released_at is not None and now < self.released_at + timedelta(seconds=self.queue.period_seconds):
            return 0
        self.released_at = now
        for gone in [t.id for t in self.tickets.values() if t.expires_at is not None and t.expires_at <= now]:
            del self.tickets[gone]
        batch = self.waiting()[: self.queue.batch_size]
        for ticket in batch:
            ticket.admitted_at = now
            ticket.expires_at = now + timedelta(seconds=self.queue.pass_ttl_seconds)
        return len(batch)

    def leave(self, ticket_id: UUID, subject: str) -> bool:
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket.subject != subject:
            return False
        del self.tickets[ticket_id]
        return True

    def read(self, ticket_id: UUID, now: datetime) -> tuple[Any, ...] | None:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return None
        if ticket.admitted_at is None:
            position = 1 + sum(1 for t in self.waiting() if t.seq < ticket.seq)
            return (ticket.subject, TicketState.WAITING, position, ticket.joined_at, None, None)
        state = TicketState.ADMITTED if ticket.live(now) else TicketState.EXPIRED
        return (ticket.subject, state, 0, ticket.joined_at, ticket.admitted_at, ticket.expires_at)

    def use(self, ticket_id: UUID, subject: str, hold_id: UUID, now: datetime) -> str:
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket.subject != subject:
            return "queue_pass_invalid"
        if ticket.admitted_at is None:
            return "queue_pass_invalid"
        if not ticket.live(now):
            return "queue_pass_expired"
        if hold_id in ticket.holds:
            return "again"
        if len(ticket.holds) >= self.queue.holds_per_pass:
            return "queue_pass_used_up"
        ticket.holds.add(hold_id)
        return "ok"

    def unuse(self, ticket_id: UUID, hold_id: UUID) -> None:
        ticket = self.tickets.get(ticket_id)
        if ticket is not None:
            ticket.holds.discard(hold_id)


class WaitingRoomMachine(RuleBasedStateMachine):
    factory: RoomFactory
    tickets = Bundle("tickets")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.context = self.factory()
        self.room: WaitingRoom = self.run(self.context.__aenter__())
        self.now = BASE_TIME
        self.listing = uuid4()
        self.model = RoomModel(QueueSettings())
        self.admitted_at: dict[UUID, datetime] = {}

    def run(self, awaitable: Awaitable[T]) -> T:
        return self.loop.run_until_complete(awaitable)

    def teardown(self) -> None:
        try:
            self.run(self.context.__aexit__(None, None, None))
        finally:
            self.loop.close()

    @initialize(batch=st.integers(1, 3), period=st.integers(1, 20), ttl=st.integers(1, 30), per_pass=st.integers(1, 2))
    def configure(self, batch: int, period: int, ttl: int, per_pass: int) -> None:
        self.model.queue = QueueSettings(True, batch, period, ttl, per_pass)

    @rule(target=tickets, subject=st.sampled_from(SUBJECTS))
    def join(self, subject: str) -> UUID:
        fresh = uuid4()
        joined = self.run(self.room.join(self.listing, subject, fresh, self.now))
        expected_id, created = self.model.join(subject, fresh, self.now)
        assert (joined.ticket.id, joined.created) == (expected_id, created)
        assert self._read(joined.ticket) == self.model.read(expected_id, self.now)
        return joined.ticket.id

    @rule(ticket=tickets, subject=st.sampled_from(SUBJECTS))
    def leave(self, ticket: UUID, subject: str) -> None:
        left = self.run(self.room.leave(self.listing, ticket, subject))
        assert left == self.model.leave(ticket, subject)

    @rule(seconds=st.integers(1, 25))
    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule()
    def release(self) -> None:
        admitted = self.run(self.room.release(self.listing, self.model.queue, self.now))
        assert admitted == self.model.release(self.now)

    @rule(ticket=tickets, subject=st.sampled_from(SUBJECTS), hold_id=st.sampled_from(HOLD_IDS))
    def use_pass(self, ticket: UUID, subject: str, hold_id: UUID) -> None:
        limit = self.model.queue.holds_per_pass
        try:
            counted = self.run(self.room.use_pass(self.listing, ticket, subject, hold_id, limit, self.now))
            outcome = "ok" if counted else "again"
        except QUEUE_PASS_ERRORS as exc:
            outcome = exc.code
        assert outcome == self.model.use(ticket, subject, hold_id, self.now)

    @rule(ticket=tickets, hold_id=st.sampled_from(HOLD_IDS))
    def unuse_pass(self, ticket: UUID, hold_id: UUID) -> None:
        self.run(self.room.unuse_pass(self.listing, ticket, hold_id))
        self.model.unuse(ticket, hold_id)

    @staticmethod
    def _read(ticket: Any) -> tuple[Any, ...]:
        return (
            ticket.subject,
            ticket.state,
            ticket.position,
            ticket.joined_at,
            ticket.admitted_at,
            ticket.pass_expires_at,
        )

    @invariant()
    def every_ticket_reads_as_the_model_says(self) -> None:
        ids = set(self.model.tickets) | set(self.admitted_at)
        for ticket_id in ids:
            found = self.run(self.room.ticket(self.listing, ticket_id, self.now))
            assert (None if found is None else self._read(found)) == self.model.read(ticket_id, self.now)
            if found is not None and found.admitted_at is not None:
                # admitted once: the admission of a place never moves
                assert self.admitted_at.setdefault(ticket_id, found.admitted_at) == found.admitted_at


def check(factory: RoomFactory, max_examples: int) -> None:
    machine = type("Machine", (WaitingRoomMachine,), {"factory": staticmethod(factory)})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


async def _create_tables(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all, tables=QUEUE_TABLES)


@asynccontextmanager
async def sqlite_room() -> AsyncIterator[WaitingRoom]:
    folder = Path(tempfile.mkdtemp(prefix="holdfast-queue-"))
    database = Database(f"sqlite+aiosqlite:///{folder / 'queue.db'}")
    try:
        await _create_tables(database)
        yield SqlWaitingRoom(database)
    finally:
        await database.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def postgres_room(url: str) -> RoomFactory:
    @asynccontextmanager
    async def room() -> AsyncIterator[WaitingRoom]:
        database = Database(url, pool_size=2)
        try:
            await _create_tables(database)
            async with database.transaction() as session:
                await session.execute(text("TRUNCATE queue_pass_holds, queue_tickets, queue_rooms"))
            yield SqlWaitingRoom(database)
        finally:
            await database.dispose()

    return room


def redis_room(url: str) -> RoomFactory:
    @asynccontextmanager
    async def room() -> AsyncIterator[WaitingRoom]:
        client = Redis.from_url(url)
        try:
            yield RedisWaitingRoom(client)  # each example's listing is new: keys of its own
        finally:
            await client.aclose()

    return room


def test_the_sql_room_on_sqlite_is_fair() -> None:
    check(sqlite_room, max_examples=60)


def test_the_sql_room_on_postgres_is_fair(postgres_url: str) -> None:
    check(postgres_room(postgres_url), max_examples=60)


def test_the_redis_room_is_fair(redis_url: str) -> None:
    check(redis_room(redis_url), max_examples=100)


@pytest.mark.parametrize("batch", [1, 3])
def test_the_model_admits_in_join_order(batch: int) -> None:
    model = RoomModel(QueueSettings(True, batch, 10, 30, 1))
    ids = [model.join(subject, uuid4(), BASE_TIME)[0] for subject in SUBJECTS]
    assert model.release(BASE_TIME) == batch
    assert [model.read(ident, BASE_TIME)[1] for ident in ids] == [TicketState.ADMITTED] * batch + [  # type: ignore[index]
        TicketState.WAITING
    ] * (len(SUBJECTS) - batch)
