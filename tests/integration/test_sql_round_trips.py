"""The SQL engine places a hold on Postgres in one round trip, whatever the outcome.

Round trips are counted on the wire: the engine talks to the real Postgres through a loopback
relay that counts, per connection, how often the client speaks after the server answered (or
first). Statements, BEGIN/COMMIT, pool pre-pings and savepoints all count; a connection being
opened does too, so each test warms the engine up first and counts the calls after.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import make_url

from domain.errors import (
    CustomerLimitExceededError,
    HoldMismatchError,
    HoldNotActiveError,
    InsufficientInventoryError,
    NotFoundError,
)
from domain.inventory import HoldStatus
from infrastructure.inventory.sql import SqlInventoryEngine
from infrastructure.persistence.database import Database
from tests.engines import fresh_postgres
from tests.integration.test_sql_engine import NOW, attempt, make_hold, new_pools
from tests.servers import RestartableServer

pytestmark = pytest.mark.postgres


class CountingRelay:
    """A TCP relay in front of Postgres that counts the client's turns to speak."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.round_trips = 0
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _relay(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        server_in, server_out = await asyncio.open_connection(*self._target)
        answered = [True]  # the client may speak first

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter, from_client: bool) -> None:
            while data := await source.read(65536):
                if from_client and answered[0]:
                    self.round_trips += 1
                answered[0] = not from_client  # before forwarding: the next turn needs this reply
                sink.write(data)
                await sink.drain()
            sink.close()

        for task in (pump(client_in, server_out, True), pump(server_in, client_out, False)):
            self._pumps.add(asyncio.create_task(task))

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._pumps:
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)


@pytest.fixture
async def counted(postgres_url: str) -> AsyncIterator[tuple[SqlInventoryEngine, CountingRelay]]:
    """An engine whose every connection to Postgres goes through a counting relay."""
    await (await fresh_postgres(postgres_url)).dispose()  # tables, the function, nothing in them
    url = make_url(postgres_url)
    relay = CountingRelay(url.host or "127.0.0.1", url.port or 5432)
    database = Database(url.set(host="127.0.0.1", port=await relay.start()).render_as_string(hide_password=False))
    engine = SqlInventoryEngine(database)
    try:
        yield engine, relay
    finally:
        await engine.aclose()
        await database.dispose()
        await relay.close()


async def test_a_placed_hold_is_one_round_trip(counted: tuple[SqlInventoryEngine, CountingRelay]) -> None:
    engine, relay = counted
    listing_id, pools = await new_pools(engine, capacity=10, count=2)
    await engine.place_hold(make_hold(listing_id, [(pools[0], 1)]), customer_limit=None)  # warm up
    relay.round_trips = 0
    hold = make_hold(listing_id, [(pools[1], 2), (pools[0], 3)], customer="bea")
    assert await engine.place_hold(hold, customer_limit=5) == hold
    assert relay.round_trips == 1
    assert [(c.held, c.sold) for c in await engine.counters(pools)] == [(4, 0), (2, 0)]


async def test_refusals_and_retries_are_one_round_trip_each(counted: tuple[SqlInventoryEngine, CountingRelay]) -> None:
    engine, relay = counted
    listing_id, [pool] = await new_pools(engine, capacity=3)
    placed = await engine.place_hold(make_hold(listing_id, [(pool, 2)]), customer_limit=None)  # warm up
    refused = [
        (make_hold(listing_id, [(pool, 2)], customer="bea"), InsufficientInventoryError),
        (make_hold(listing_id, [(pool, 1)]), CustomerLimitExceededError),
        (make_hold(listing_id, [(uuid4(), 1)]), NotFoundError),
        (make_hold(listing_id, [(pool, 1)], hold_id=placed.id), HoldMismatchError),
    ]
    for hold, error in refused:
        relay.round_trips = 0
        with pytest.raises(error):
            await engine.place_hold(hold, customer_limit=2)
        assert relay.round_trips == 1, error.__name__
    relay.round_trips = 0
    assert await engine.place_hold(placed, customer_limit=2) == placed  # the same request again
    assert relay.round_trips == 1


async def test_expiring_due_holds_on_place_stays_one_round_trip(
    counted: tuple[SqlInventoryEngine, CountingRelay],
) -> None:
    engine, relay = counted
    listing_id, [pool] = await new_pools(engine, capacity=3)
    due = [make_hold(listing_id, [(pool, 1)], customer=c, ttl=timedelta(minutes=1)) for c in ("ann", "bea", "cy")]
    for hold in due:
        await engine.place_hold(hold, customer_limit=None)
    relay.round_trips = 0
    later = make_hold(listing_id, [(pool, 3)], at=NOW + timedelta(minutes=1))
    assert await engine.place_hold(later, customer_limit=3) == later
    assert relay.round_trips == 1
    assert [(await engine.get_hold(h.id)).status for h in due] == [HoldStatus.EXPIRED] * 3  # type: ignore[union-attr]


async def test_release_and_confirm_are_one_round_trip_each(counted: tuple[SqlInventoryEngine, CountingRelay]) -> None:
    engine, relay = counted
    listing_id, [pool] = await new_pools(engine, capacity=9)
    holds = [await engine.place_hold(make_hold(listing_id, [(pool, 2)], customer=c), None) for c in "abcd"]
    await engine.release(holds[0].id, NOW)  # warm up: each statement is prepared on first use
    await engine.confirm(holds[1].id, NOW)
    calls = [
        (engine.release(holds[2].id, NOW), HoldStatus.RELEASED),
        (engine.release(holds[2].id, NOW), HoldStatus.RELEASED),  # again: harmless
        (engine.confirm(holds[3].id, NOW), HoldStatus.CONFIRMED),
        (engine.confirm(holds[3].id, NOW), HoldStatus.CONFIRMED),  # again: harmless
        (engine.confirm(holds[2].id, NOW), HoldNotActiveError),
        (engine.release(uuid4(), NOW), NotFoundError),
    ]
    for call, expected in calls:
        relay.round_trips = 0
        outcome = await attempt(call)
        assert outcome.status is expected if isinstance(expected, HoldStatus) else isinstance(outcome, expected)
        assert relay.round_trips == 1, expected
    [counters] = await engine.counters([pool])
    assert (counters.held, counters.sold) == (0, 4)


async def test_a_hold_after_a_postgres_restart_goes_through(restartable_postgres: RestartableServer) -> None:
    """Its connections skip the pool's pre-ping: one the restart closed fails, and the call is sent
    again on a fresh connection (safe: a hold id placed twice is placed once)."""
    database = await fresh_postgres(restartable_postgres.url)
    engine = SqlInventoryEngine(database)
    try:
        listing_id, [pool] = await new_pools(engine, capacity=5)
        await engine.place_hold(make_hold(listing_id, [(pool, 1)]), customer_limit=None)
        await asyncio.to_thread(restartable_postgres.stop)
        await asyncio.to_thread(restartable_postgres.start)
        after = make_hold(listing_id, [(pool, 2)], customer="bea")
        assert await engine.place_hold(after, customer_limit=None) == after
        [counters] = await engine.counters([pool])
        assert counters.held == 3
    finally:
        await engine.aclose()
        await database.dispose()
