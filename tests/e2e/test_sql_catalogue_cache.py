"""The sql engine's hold path: one transaction per hold, the catalogue from a per-process cache
that follows changes made by other processes within its bound
(``infrastructure/catalogue/sql_cache.py``: each process reads the catalogue version at most
every ``HOLDFAST_CATALOGUE_CHECK_SECONDS``; triggers move it with every catalogue write).

Both databases the sql engine runs on: SQLite (the embedded default of ``make run``) and
Postgres. "A" is the ``world`` app; "B" is a second app instance over the same database (its
own container, cache and connections), as a second ``holdfast serve`` process would be; the
CLI runs as a real process of its own.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy import update

from infrastructure.container import build_container, close_container
from infrastructure.persistence.tables import listings
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from tests.databases import truncate_all
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import database_statements, hold, make_listing

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_TABLES = re.compile(r"\b(tenants|api_keys|listings|pools|catalogue_version)\b")


@pytest.fixture(params=["embedded", "sql-postgres"])
async def settings(request: pytest.FixtureRequest) -> Settings:
    """The e2e ``settings``, with the sql engine on each of its databases (no Redis)."""
    if request.param == "embedded":
        return Settings(database_url=request.getfixturevalue("sqlite_url"), expiry_sweep_seconds=0)
    database_url: str = request.getfixturevalue("e2e_postgres_url")
    await truncate_all(database_url)
    return Settings(database_url=database_url, inventory_engine="sql", expiry_sweep_seconds=0, db_pool_size=5)


@pytest.fixture
async def other(world: World) -> AsyncIterator[Api]:
    """Process B's API, as tenant acme."""
    settings = world.container.settings()
    container = build_container(settings)
    container.core.clock.override(providers.Object(world.clock))
    transport = httpx.ASGITransport(app=create_app(settings, container))
    async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
        try:
            yield Api(client, world.api.key, world.clock)
        finally:
            await close_container(container)


def bound(world: World) -> float:
    return float(world.container.settings().catalogue_check_seconds)


def _one_transaction(statements: list[str]) -> bool:
    """One commit (SQLite), or on Postgres the hold function alone, in autocommit (its own
    transaction, so no commit event)."""
    work = [s for s in statements if not s.startswith("<")]
    by_function = len(work) == 1 and "holdfast_place_hold" in work[0] and "<commit>" not in statements
    return statements.count("<commit>") == 1 or by_function


async def test_a_warm_hold_is_one_transaction_and_reads_no_catalogue_table(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 3, 1500), ("b", 10, 900)), per_customer_limit=2)
    pool = pools["a"]
    assert (await hold(world.api, listing_id, {pool: 1}, customer="warm")).status_code == 201

    for customer in ("c1", "c2"):
        with database_statements(world.container) as statements:
            placed = await hold(world.api, listing_id, {pool: 1}, customer=customer)
        assert placed.status_code == 201, placed.text
        assert statements.count("<checkout>") == 1, statements
        assert _one_transaction(statements), statements
        assert [s for s in statements if CATALOGUE_TABLES.search(s)] == []
    refusals = (({pool: 1}, "late", "insufficient_inventory"), ({pools["b"]: 3}, "greedy", "customer_limit_exceeded"))
    for lines, customer, code in refusals:
        with database_statements(world.container) as statements:
            refused = await hold(world.api, listing_id, lines, customer=customer)
        assert refused.json()["code"] == code
        assert statements.count("<checkout>") == 1, statements
        assert [s for s in statements if CATALOGUE_TABLES.search(s)] == []


async def test_once_the_bound_has_passed_concurrent_requests_share_one_version_read(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 100, 100),))
    assert (await hold(world.api, listing_id, {pools["a"]: 1}, customer="warm")).status_code == 201
    world.clock.advance(bound(world))  # the version moved with the pool made: everything reloads once
    assert (await hold(world.api, listing_id, {pools["a"]: 1}, customer="warm")).status_code == 201

    world.clock.advance(bound(world))
    with database_statements(world.container) as statements:
        placed = await asyncio.gather(
            *(hold(world.api, listing_id, {pools["a"]: 1}, customer=f"c{n}") for n in range(20))
        )
    assert [r.status_code for r in placed] == [201] * 20
    assert len([s for s in statements if "catalogue_version" in s]) == 1
    assert [s for s in statements if CATALOGUE_TABLES.search(s) and "catalogue_version" not in s] == []


async def test_unknown_keys_cost_no_statement(world: World) -> None:
    listing_id, _ = await make_listing(world.api)
    assert (await world.api.get(f"/v1/listings/{listing_id}")).status_code == 200  # the directory is cached
    with database_statements(world.container) as statements:
        strangers = [
            await Api(world.client, f"hf_{n}{'x' * 30}", world.clock).get(f"/v1/listings/{listing_id}/availability")
            for n in range(10)
        ]
    assert {r.status_code for r in strangers} == {401}
    assert statements == []


async def test_a_key_revoked_by_the_cli_is_refused_within_the_bound(world: World, tmp_path: Path) -> None:
    listing_id, pools = await make_listing(world.api)
    assert (await hold(world.api, listing_id, {pools["a"]: 1})).status_code == 201  # the key is cached

    revoked = await asyncio.to_thread(_cli, world, "revoke-key", "--key", world.api.key)
    assert revoked.returncode == 0, revoked.stderr

    world.clock.advance(bound(world))
    assert (await hold(world.api, listing_id, {pools["a"]: 1})).status_code == 401
    assert (await world.api.get(f"/v1/listings/{listing_id}")).status_code == 401
    assert (await world.other.get(f"/v1/listings/{listing_id}")).status_code == 404  # others still served


def _cli(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    url = world.container.settings().database_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOLDFAST_")}
    env |= {"PYTHONPATH": str(ROOT / "src"), "HOLDFAST_DATABASE_URL": url}
    command = [sys.executable, "-m", "interfaces.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


async def test_a_key_revoked_in_this_process_is_refused_at_once(world: World) -> None:
    listing_id, _ = await make_listing(world.api)
    assert (await world.api.get(f"/v1/listings/{listing_id}")).status_code == 200

    await world.container.use_cases.revoke_api_key()(world.api.key)

    assert (await world.api.get(f"/v1/listings/{listing_id}")).status_code == 401


async def test_a_pool_resized_through_another_process_bounds_holds_at_once(world: World, other: Api) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 2, 700),))
    pool = pools["a"]
    assert (await hold(world.api, listing_id, {pool: 2}, customer="x")).status_code == 201
    assert (await hold(world.api, listing_id, {pool: 1}, customer="y")).status_code == 409

    grown = await other.patch(f"/v1/pools/{pool}", {"capacity": 3})
    assert grown.status_code == 200, grown.text

    assert (await hold(world.api, listing_id, {pool: 1}, customer="y")).status_code == 201
    assert (await hold(world.api, listing_id, {pool: 1}, customer="z")).status_code == 409


async def test_a_pool_added_through_another_process_can_be_held_within_the_bound(world: World, other: Api) -> None:
    listing_id, pools = await make_listing(world.api)
    assert (await hold(world.api, listing_id, {pools["a"]: 1})).status_code == 201  # the listing is cached
    body = {"code": "b", "capacity": 4, "unit_price": 900, "currency": "EUR"}
    created = await other.post(f"/v1/listings/{listing_id}/pools", body)
    assert created.status_code == 201, created.text

    world.clock.advance(bound(world))
    added = await hold(world.api, listing_id, {created.json()["id"]: 1}, customer="new")
    assert added.status_code == 201, added.text
    assert added.json()["lines"][0]["unit_price"] == 900


async def test_a_limit_changed_in_the_database_by_another_process_is_enforced_within_the_bound(
    world: World, other: Api
) -> None:
    """No route changes a limit: the change is written straight to the table, announced to no
    cache; the catalogue version (moved by the table's trigger) is what tells A."""
    listing_id, pools = await make_listing(world.api, (("a", 10, 100),), per_customer_limit=5)
    assert (await hold(world.api, listing_id, {pools["a"]: 2}, customer="c")).status_code == 201
    b = build_container(world.container.settings())
    try:
        async with b.gateways.database().transaction() as session:
            limit = update(listings).where(listings.c.id == UUID(listing_id)).values(per_customer_limit=2)
            await session.execute(limit)
    finally:
        await close_container(b)

    world.clock.advance(bound(world))
    limited = await hold(world.api, listing_id, {pools["a"]: 1}, customer="c")
    assert limited.status_code == 409, limited.text
    assert limited.json()["code"] == "customer_limit_exceeded"
