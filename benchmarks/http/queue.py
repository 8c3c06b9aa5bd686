"""The waiting room's targets of ``benchmarks.http`` (issue 11), on the production profile.

- **queue-join**: ``POST /v1/listings/{id}/queue``, every request from an identity of its own
  (an API key of its own: a 201 is a new place; a 200 means the identities ran out and one
  joined again).
- **queue-status**: ``GET /v1/listings/{id}/queue/{ticket}``, each request an identity polling
  its own ticket in a line of that many places.

The identities are API keys of the fleet's tenant written straight into ``api_keys`` (thousands
a statement, role ``customer``) and announced once with the catalogue's ``changed_keys``, so
every API process loads them in its key directory before the load starts; the status target's
places are joined straight into the waiting room (the adapter's own ``join`` script).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import httpx

from benchmarks.http import stack
from benchmarks.http.load import Load

QUEUE = {"enabled": True, "batch_size": 100, "period_seconds": 10, "pass_ttl_seconds": 300, "holds_per_pass": 1}
JOINED = frozenset({200, 201})


def queued_listing(fleet: stack.Fleet) -> str:
    """A listing in queue mode, made through the API as a tenant would."""
    with httpx.Client(base_url=f"http://127.0.0.1:{fleet.ports[0]}", headers={"X-API-Key": fleet.key}) as client:
        made = client.post("/v1/listings", json={"kind": "event_show", "name": f"Queue {uuid4().hex[:6]}"})
        listing_id = str(made.json()["id"])
        changed = client.patch(f"/v1/listings/{listing_id}", json={"queue": QUEUE})
        if changed.status_code != 200:
            raise RuntimeError(f"PATCH /v1/listings/{listing_id}: {changed.status_code} {changed.text}")
    return listing_id


async def _identities(env: dict[str, str], tenant_id: str, count: int, listing_id: str | None) -> list[str]:
    from application.use_cases.register_tenant import hash_key, new_key
    from infrastructure.container import build_container, close_container
    from infrastructure.persistence.tables import api_keys
    from infrastructure.persistence.upsert import chunks
    from infrastructure.settings import Settings

    container = build_container(Settings.from_env(env))
    now = datetime.now(UTC)
    keys = [(uuid4(), new_key()) for _ in range(count)]
    rows = [
        {"id": ident, "tenant_id": UUID(tenant_id), "key_hash": hash_key(key), "label": f"bench-{n}", "scopes": []}
        | {"created_at": now, "role": "customer"}
        for n, (ident, key) in enumerate(keys)
    ]
    try:
        async with container.gateways.database().transaction() as session:
            for chunk in chunks(rows):
                await session.execute(api_keys.insert(), chunk)
        await container.gateways.catalogue().changed_keys()
        if listing_id is None:
            return [key for _, key in keys]
        room = container.gateways.waiting_room()
        tickets: list[str] = []
        for start in range(0, count, 200):
            joined = await asyncio.gather(
                *(room.join(UUID(listing_id), f"key:{ident}", uuid4(), now) for ident, _ in keys[start : start + 200])
            )
            tickets += [str(place.ticket.id) for place in joined]
        return [f"{key} {ticket}" for (_, key), ticket in zip(keys, tickets, strict=True)]
    finally:
        await close_container(container)


def identities_file(logs: Path, fleet: stack.Fleet, count: int, listing_id: str | None = None) -> str:
    lines = asyncio.run(_identities(fleet.env, fleet.tenant_id, count, listing_id))
    path = logs / f"identities-{uuid4().hex[:6]}.txt"
    path.write_text("\n".join(lines) + "\n")
    _warm(fleet, lines[0].split()[0])
    return str(path)


def _warm(fleet: stack.Fleet, key: str) -> None:
    """Until every API process knows the new keys (the pub/sub message, then one directory load)."""
    deadline = time.monotonic() + 30
    for port in fleet.ports:
        while httpx.get(f"http://127.0.0.1:{port}/v1/listings", headers={"X-API-Key": key}).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the benchmark's API keys were not accepted within 30 s")
            time.sleep(0.1)


def join_load(logs: Path, fleet: stack.Fleet, identities: int) -> Load:
    listing_id = queued_listing(fleet)
    path = identities_file(logs, fleet, identities)
    return Load("POST", f"/v1/listings/{listing_id}/queue", "", "", identities_file=path, expected=JOINED)


def status_load(logs: Path, fleet: stack.Fleet, identities: int) -> Load:
    listing_id = queued_listing(fleet)
    path = identities_file(logs, fleet, identities, listing_id)
    return Load("GET", f"/v1/listings/{listing_id}/queue/{{ticket}}", identities_file=path)
