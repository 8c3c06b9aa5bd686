"""`holdfast reconcile`: runs in the foreground, prints the report, and its exit status says
whether drift is left (here on the embedded default: SQLite and the SQL engine)."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from application.use_cases.create_listing import CreateListing
from application.use_cases.create_pool import CreatePool
from application.use_cases.register_tenant import RegisterTenant
from domain.listings import ListingKind
from infrastructure.container import build_container, close_container
from infrastructure.inventory.sql_tables import inventory_pools
from infrastructure.settings import Settings
from interfaces.cli import main


async def _a_pool_with_drift(database_url: str) -> UUID:
    """A pool of capacity 5 whose engine counter says 2 units were sold that nobody bought."""
    container = build_container(Settings(database_url=database_url))
    try:
        use_cases = container.use_cases
        tenant = (await use_cases.register_tenant()(RegisterTenant("acme"))).tenant
        listing = await use_cases.create_listing()(CreateListing(tenant.id, ListingKind.EVENT_SHOW, "Show"))
        created = await use_cases.create_pool()(CreatePool(tenant.id, listing.id, "a", 5, 0, "EUR"))
        pool_id: UUID = created.pool.id
        async with container.gateways.database().transaction() as session:
            statement = update(inventory_pools).where(inventory_pools.c.pool_id == pool_id)
            await session.execute(statement.values(sold=2))
    finally:
        await close_container(container)
    return pool_id


def test_drift_is_reported_then_repaired(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pool_id = asyncio.run(_a_pool_with_drift(sqlite_url))
    monkeypatch.setenv("HOLDFAST_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("HOLDFAST_INVENTORY_ENGINE", "sql")
    runner = CliRunner()

    found = runner.invoke(main, ["reconcile", "inventory"])
    assert found.exit_code == 1, found.output
    assert "succeeded; checked 1 of 1; 1 finding, drift 1" in found.output
    assert f"[drift] pool:{pool_id} sold: expected 0, actual 2 (difference -2)" in found.output

    repaired = runner.invoke(main, ["reconcile", "inventory", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert f"[repaired] pool:{pool_id} sold" in repaired.output

    after = runner.invoke(main, ["reconcile", "inventory"])  # the repair really agreed the engine with the record
    assert after.exit_code == 0, after.output
    assert "succeeded; checked 1 of 1; 0 findings, drift 0" in after.output

    clean = runner.invoke(main, ["reconcile", "inventory", "--listing", "00000000-0000-4000-8000-000000000001"])
    assert clean.exit_code == 0, clean.output
    assert "checked 0 of 0; 0 findings, drift 0" in clean.output


def test_payments_runs_refuse_to_repair(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOLDFAST_DATABASE_URL", sqlite_url)
    refused = CliRunner().invoke(main, ["reconcile", "payments", "--repair"])
    assert refused.exit_code == 2
    assert "never repairs" in refused.output
