"""The waiting room across real processes on the production profile (Postgres + Redis + SAQ):
the queue outlives a killed ``holdfast serve``, and a ``holdfast worker`` killed while it runs
release rounds neither admits a place twice nor skips one (each release is one Lua script
call: done or not done)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import httpx

from domain.waiting_room import TicketState
from tests.integration.worker_stack import Child, Stack, eventually, stack

__all__ = ["stack"]  # the fixture

QUEUE = {"enabled": True, "batch_size": 10, "period_seconds": 1, "pass_ttl_seconds": 3600, "holds_per_pass": 1}


async def _queued_listing(stack: Stack, **queue: object) -> str:
    created = await stack.api.post("/v1/listings", {"kind": "event_show", "name": "Rush"})
    listing_id: str = created.json()["id"]
    changed = await stack.api.patch(f"/v1/listings/{listing_id}", {"queue": {**QUEUE, **queue}})
    assert changed.status_code == 200, changed.text
    return listing_id


async def test_the_queue_outlives_a_killed_api(stack: Stack, tmp_path: Path) -> None:
    listing_id = await _queued_listing(stack)
    api = Child("serve", stack.env, tmp_path / "api.log")
    headers = {"X-API-Key": stack.api.key}
    try:
        api.start()
        async with httpx.AsyncClient(base_url=api.base, timeout=20, headers=headers) as client:
            joined = await client.post(f"/v1/listings/{listing_id}/queue")
            assert joined.status_code == 201, joined.text
            ticket = joined.json()
        api.kill()
        api.start()
        async with httpx.AsyncClient(base_url=api.base, timeout=20, headers=headers) as client:
            status = await client.get(f"/v1/listings/{listing_id}/queue/{ticket['id']}")
            assert status.status_code == 200, status.text
            assert (status.json()["state"], status.json()["position"]) == ("waiting", 1)
            again = await client.post(f"/v1/listings/{listing_id}/queue")
            assert (again.status_code, again.json()["id"]) == (200, ticket["id"])
    finally:
        api.stop()


async def test_a_worker_killed_during_releases_admits_each_place_once_in_order(stack: Stack) -> None:
    listings = [UUID(await _queued_listing(stack)) for _ in range(2)]
    room = stack.container.gateways.waiting_room()
    now = datetime.now(UTC)
    lines: dict[UUID, list[UUID]] = {}
    for listing in listings:
        joined = [await room.join(listing, f"key:{n}", uuid4(), now) for n in range(120)]
        lines[listing] = [place.ticket.id for place in joined]

    async def admitted() -> int:
        count = 0
        for listing, ids in lines.items():
            for ident in ids:
                ticket = await room.ticket(listing, ident, datetime.now(UTC))
                count += ticket is not None and ticket.state is TicketState.ADMITTED
        return count

    env = {"HOLDFAST_QUEUE_RELEASE_SECONDS": "1"}
    first = stack.start_worker(**env)
    await eventually(admitted, "a first release")
    first.kill()  # SIGKILL, wherever its release loop is
    first.wait(timeout=30)
    stack.start_worker(**env)
    total = sum(len(ids) for ids in lines.values())

    async def everyone() -> bool:
        return await admitted() == total

    await eventually(everyone, "every place admitted", deadline=120)

    for listing, ids in lines.items():
        tickets = [await room.ticket(listing, ident, datetime.now(UTC)) for ident in ids]
        times = [ticket.admitted_at for ticket in tickets if ticket is not None]
        assert len(times) == len(ids)
        # first come, first served: admission times never go back along the line ...
        assert times == sorted(times)
        # ... and each release admitted a whole batch: none half done, none admitted twice
        batches = [times.count(at) for at in dict.fromkeys(times)]
        assert batches == [QUEUE["batch_size"]] * (len(ids) // 10)
