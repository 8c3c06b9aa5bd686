"""Any sequence of postings, duplicates and reversals keeps the books balanced, and every store
of the ledger (memory, SQLite, Postgres) answers exactly what the pure rules compute.

Each example posts for a tenant of its own, with references prefixed by it, so examples share
a database without seeing each other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.ports.ledger import LedgerRepository
from domain.ledger import (
    LedgerTransaction,
    booking_confirmed,
    fee_charged,
    payment_captured,
    payment_returned,
    refund_recorded,
    reversal_of,
)
from domain.ledger_views import BookingLedger, balances_of
from domain.money import Money
from infrastructure.metrics import PrometheusMetrics
from infrastructure.persistence.database import Database
from infrastructure.persistence.unit_of_work import SqlUnitOfWork
from tests.databases import migrated_postgres
from tests.fakes.ledger import MemoryLedgerRepository

Scope = Callable[[], AbstractAsyncContextManager[LedgerRepository]]
RULES = [payment_captured, booking_confirmed, refund_recorded, payment_returned, fee_charged]
START = datetime(2030, 1, 1, tzinfo=UTC)
BOOKINGS = 3


@dataclass(frozen=True)
class Posting:
    rule: int
    booking: int
    stripe_object: int  # few of them, so the same fact is posted again often
    amount: int
    currency: str


@dataclass(frozen=True)
class Reversal:
    of: int  # index among the transactions accepted so far


postings = st.builds(
    Posting,
    rule=st.integers(0, len(RULES) - 1),
    booking=st.integers(0, BOOKINGS - 1),
    stripe_object=st.integers(0, 3),
    amount=st.integers(1, 10**9),
    currency=st.sampled_from(["EUR", "USD", "JPY"]),
)
steps = st.lists(st.one_of(postings, postings, st.builds(Reversal, st.integers(0, 50))), max_size=25)


class Books:
    """One example's tenant, what it posts, and what the pure rules say the store must hold."""

    def __init__(self) -> None:
        self.tenant = uuid4()
        self.bookings = [uuid4() for _ in range(BOOKINGS)]
        self.accepted: dict[str, LedgerTransaction] = {}

    def transaction(self, step: Posting | Reversal, n: int) -> LedgerTransaction | None:
        at = START + timedelta(seconds=n)
        if isinstance(step, Reversal):
            done = list(self.accepted.values())
            return reversal_of(done[step.of % len(done)], at=at) if done else None
        reference = f"{self.tenant.hex[:12]}_{step.stripe_object}"
        money = Money(step.amount, step.currency)
        return RULES[step.rule](self.tenant, self.bookings[step.booking], reference, money, at=at)


async def check(scope: Scope, steps: list[Posting | Reversal]) -> None:
    books = Books()
    for n, step in enumerate(steps):
        tx = books.transaction(step, n)
        if tx is None:
            continue
        async with scope() as ledger:
            assert await ledger.append(tx) is (tx.external_reference not in books.accepted)
        books.accepted.setdefault(tx.external_reference, tx)
    async with scope() as ledger:
        balances = await ledger.balances(books.tenant)
        views = [await ledger.booking_view(books.tenant, booking) for booking in books.bookings]
    _assert_balanced(balances)
    assert balances == balances_of(books.accepted.values())
    for view in views:
        expected = [tx for tx in books.accepted.values() if tx.booking_id == view.booking_id]
        assert sorted(view.transactions, key=lambda tx: tx.id) == sorted(expected, key=lambda tx: tx.id)
        _assert_net_is_captured_minus_refunded(view)


def _assert_balanced(balances: list) -> None:  # type: ignore[type-arg]
    debits: dict[str, int] = {}
    credits: dict[str, int] = {}
    for found in balances:
        debits[found.currency] = debits.get(found.currency, 0) + found.debits
        credits[found.currency] = credits.get(found.currency, 0) + found.credits
    assert debits == credits


def _assert_net_is_captured_minus_refunded(view: BookingLedger) -> None:
    for currency, totals in view.totals().items():
        assert totals.net.amount == totals.captured.amount - totals.refunded.amount
        assert totals.currency == currency


@pytest.fixture
def memory_scope() -> Scope:
    ledger = MemoryLedgerRepository()

    @asynccontextmanager
    async def scope() -> AsyncIterator[LedgerRepository]:
        yield ledger

    return scope


async def _sql_scope(url: str) -> AsyncIterator[Scope]:
    database = Database(url, pool_size=2)

    @asynccontextmanager
    async def scope() -> AsyncIterator[LedgerRepository]:
        async with SqlUnitOfWork(database, PrometheusMetrics()) as uow:
            yield uow.ledger
            await uow.commit()

    yield scope
    await database.dispose()


@pytest.fixture
async def sqlite_scope(sqlite_url: str) -> AsyncIterator[Scope]:
    async for scope in _sql_scope(sqlite_url):
        yield scope


@pytest.fixture
async def postgres_scope(postgres_url: str) -> AsyncIterator[Scope]:
    async for scope in _sql_scope(migrated_postgres(postgres_url, "holdfast_ledger")):
        yield scope


FEW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MANY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@MANY
@given(steps=steps)
async def test_memory_ledger_keeps_the_books(memory_scope: Scope, steps: list[Posting | Reversal]) -> None:
    await check(memory_scope, steps)


@FEW
@given(steps=steps)
async def test_sqlite_ledger_keeps_the_books(sqlite_scope: Scope, steps: list[Posting | Reversal]) -> None:
    await check(sqlite_scope, steps)


@FEW
@given(steps=steps)
async def test_postgres_ledger_keeps_the_books(postgres_scope: Scope, steps: list[Posting | Reversal]) -> None:
    await check(postgres_scope, steps)
