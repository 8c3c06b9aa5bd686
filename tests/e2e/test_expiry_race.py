"""The expiry sweep job racing bookings: no unit is both expired and sold.

Holds fall due at different moments, and they fall due while bookings of every hold run at
once with rounds of the ``expire_holds`` job (the handler the worker runs): the clock moves a
second every 10 ms, so whether a booking or a sweep sees a hold first is decided by the
interleaving, not fixed before the race starts. Each hold must end one way only: booked (its
booking confirmed, its units sold) or expired (its booking refused with ``hold_expired``, its
units back), and the engine's counters, the pools' sold units and the bookings must agree.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any
from uuid import UUID

from sqlalchemy import select

from infrastructure.persistence import tables
from interfaces.workers.jobs import ForegroundContext, job_handlers
from tests.e2e.conftest import World
from tests.e2e.helpers import availability, hold, make_listing

HOLDS = 40


async def test_sweeps_racing_bookings_never_expire_a_sold_unit(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", HOLDS, 0),))
    rng = random.Random(11)
    held: list[dict[str, Any]] = []
    for n in range(HOLDS):
        placed = await hold(world.api, listing_id, {pools["a"]: 1}, customer=f"c-{n}", ttl_seconds=rng.randint(60, 120))
        assert placed.status_code == 201, placed.text
        held.append(placed.json())
    world.clock.advance(59)  # none is due yet; they fall due one by one during the race
    sweep = job_handlers(world.container)["expire_holds"]

    async def book(hold_id: str, ticks: int) -> Any:
        # Spread over the race (a booking is a few ms now): some arrive after their hold fell due.
        await asyncio.sleep(ticks * 0.01)
        return await world.api.post("/v1/bookings", {"hold_id": hold_id})

    async def time_passes() -> None:
        for _ in range(70):  # past the last hold's time, a second every 10 ms
            world.clock.advance(1)
            await asyncio.sleep(0.01)

    work: list[Any] = [book(h["id"], rng.randint(0, 69)) for h in held]
    work += [sweep(ForegroundContext(), {}) for _ in range(6)]
    work.append(time_passes())
    rng.shuffle(work)
    outcomes = await asyncio.gather(*work)
    await sweep(ForegroundContext(), {})

    responses = [outcome for outcome in outcomes if outcome is not None]  # the sweeps return None
    booked = [r.json() for r in responses if r.status_code == 201]
    refused = [r.json() for r in responses if r.status_code != 201]

    assert len(responses) == HOLDS
    assert booked, "the race had no booking"
    assert refused, "the race had no expiry"
    assert all(b["status"] == "confirmed" for b in booked)
    assert {b["code"] for b in refused} == {"hold_expired"}
    statuses = [(await world.api.get(f"/v1/holds/{h['id']}")).json()["status"] for h in held]
    assert sorted(statuses) == sorted(["confirmed"] * len(booked) + ["expired"] * len(refused))
    assert {b["hold_id"] for b in booked} == {h["id"] for h, s in zip(held, statuses, strict=True) if s == "confirmed"}
    assert (await availability(world.api, listing_id))["a"] == (0, len(booked), HOLDS - len(booked))
    async with world.container.gateways.database().reading() as session:
        recorded = await session.scalar(select(tables.pools.c.sold).where(tables.pools.c.id == UUID(pools["a"])))
    assert recorded == len(booked)  # the record agrees with the engine
