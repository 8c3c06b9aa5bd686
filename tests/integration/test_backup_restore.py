"""ops/backup.sh and ops/restore.sh on a real Postgres: a database filled through the real use
cases comes back row for row, every table, at the same Alembic revision; a restore either
completes or leaves the target empty, and never lands on a database that already has tables."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from application.use_cases.cancel_booking import CancelBooking
from application.use_cases.create_booking import CreateBooking
from application.use_cases.create_listing import CreateListing
from application.use_cases.create_pool import CreatePool
from application.use_cases.place_hold import PlaceHold
from application.use_cases.register_tenant import RegisterTenant
from domain.listings import ListingKind
from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings
from tests import servers
from tests.databases import empty_postgres, migrated_postgres

OPS = Path(__file__).resolve().parents[2] / "ops"
SOURCE = "holdfast_backup_source"
TARGET = "holdfast_backup_target"

Tables = dict[str, list[tuple[Any, ...]]]


def _script(name: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The script as an operator runs it, with the pg tools of the server the tests started."""
    environ = {name: value for name, value in os.environ.items() if name != "HOLDFAST_DATABASE_URL"}
    environ |= {"PG_BINDIR": str(servers._postgres_bindir()), **env}
    return subprocess.run(
        ["bash", str(OPS / name), *args], env=environ, capture_output=True, text=True, timeout=120, check=False
    )


async def _populate(url: str) -> None:
    """Two pools, four holds; two free bookings (one then cancelled), one priced awaiting payment."""
    settings = Settings(database_url=url, inventory_engine="sql", expiry_sweep_seconds=0)
    container = build_container(settings)
    uc = container.use_cases
    try:
        tenant = (await uc.register_tenant()(RegisterTenant("backup-co"))).tenant
        listing = await uc.create_listing()(CreateListing(tenant.id, ListingKind.EVENT_SHOW, "Backup show"))
        free = (await uc.create_pool()(CreatePool(tenant.id, listing.id, "GA", 10, 0, "EUR"))).pool
        priced = (await uc.create_pool()(CreatePool(tenant.id, listing.id, "VIP", 5, 5000, "EUR"))).pool

        async def hold(customer: str, pool_id: Any, quantity: int) -> Any:
            return await uc.place_hold()(PlaceHold(tenant.id, listing.id, customer, ((pool_id, quantity),)))

        kept, cancelled, unpaid = (
            await hold("ann", free.id, 2),
            await hold("bob", free.id, 1),
            await hold("cy", priced.id, 1),
        )
        await hold("dee", free.id, 1)  # stays a hold
        book = uc.create_booking()
        await book(CreateBooking(tenant.id, kept.id, actor="test"))
        await book(CreateBooking(tenant.id, unpaid.id, actor="test"))
        booking = (await book(CreateBooking(tenant.id, cancelled.id, actor="test"))).booking
        await uc.cancel_booking()(CancelBooking(tenant.id, booking.id, actor="test"))
    finally:
        await close_container(container)


async def _read_all(url: str) -> Tables:
    """Every table of the public schema, its rows ordered by primary key (else by every column)."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        names = [
            r["tablename"]
            for r in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        tables: Tables = {}
        for name in sorted(names):
            order = await _order_by(connection, name)
            rows = await connection.fetch(f'SELECT * FROM "{name}" ORDER BY {order}')
            tables[name] = [tuple(row.values()) for row in rows]
        return tables
    finally:
        await connection.close()


async def _order_by(connection: asyncpg.Connection, table: str) -> str:
    key = await connection.fetch(
        """SELECT a.attname FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
           WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)""",
        f'public."{table}"',
    )
    if not key:
        key = await connection.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped"
            " ORDER BY attnum",
            f'public."{table}"',
        )
    return ", ".join(f'"{row[0]}"' for row in key)


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def source(postgres_url: str) -> str:
    url = migrated_postgres(postgres_url, SOURCE)
    asyncio.run(_populate(url))
    return url


def test_a_restored_backup_holds_every_row_of_every_table(source: str, postgres_url: str, tmp_path: Path) -> None:
    dump = tmp_path / "holdfast.dump"
    backup = _script("backup.sh", "-o", str(dump), HOLDFAST_DATABASE_URL=source)  # the URL as the service has it
    assert backup.returncode == 0, backup.stderr
    assert backup.stdout.strip() == str(dump)
    assert not Path(f"{dump}.partial").exists()
    target = empty_postgres(postgres_url, TARGET)

    restore = _script("restore.sh", str(dump), target)

    assert restore.returncode == 0, restore.stderr
    before, after = asyncio.run(_read_all(source)), asyncio.run(_read_all(target))
    assert sorted(after) == sorted(before)
    for table, rows in before.items():
        assert after[table] == rows, f"table {table} differs after the restore"
    assert len(before["alembic_version"]) == 1
    assert after["alembic_version"] == before["alembic_version"]
    # The comparison is only as good as the data: the use cases did write where it matters.
    filled = {table for table, rows in before.items() if rows}
    written = {"tenants", "listings", "pools", "inventory_holds", "bookings", "booking_transitions", "outbox"}
    assert written <= filled, sorted(filled)
    assert len(before["bookings"]) == 3


def test_a_restore_refuses_a_database_that_has_tables(source: str, tmp_path: Path) -> None:
    dump = tmp_path / "holdfast.dump"
    assert _script("backup.sh", "-o", str(dump), source).returncode == 0
    before = asyncio.run(_read_all(source))

    refused = _script("restore.sh", str(dump), source)

    assert refused.returncode != 0
    assert "not empty" in refused.stderr
    assert asyncio.run(_read_all(source)) == before


def test_a_restore_that_fails_midway_leaves_the_target_empty(source: str, postgres_url: str, tmp_path: Path) -> None:
    dump = tmp_path / "holdfast.dump"
    assert _script("backup.sh", "-o", str(dump), source).returncode == 0
    target = empty_postgres(postgres_url, TARGET)
    # Not a table, so the target still counts as empty; but CREATE TABLE tenants, well after the
    # first tables of the dump, now fails ("type tenants already exists").
    asyncio.run(_execute(target, "CREATE TYPE tenants AS (stray integer)"))

    failed = _script("restore.sh", str(dump), target)

    assert failed.returncode != 0
    assert "tenants" in failed.stderr
    assert asyncio.run(_read_all(target)) == {}  # alembic_version, api_keys, ... rolled back too


def test_a_damaged_backup_is_refused(source: str, postgres_url: str, tmp_path: Path) -> None:
    dump = tmp_path / "holdfast.dump"
    assert _script("backup.sh", "-o", str(dump), source).returncode == 0
    content = dump.read_bytes()
    dump.write_bytes(content[: len(content) // 2])
    target = empty_postgres(postgres_url, TARGET)

    failed = _script("restore.sh", str(dump), target)

    assert failed.returncode != 0
    assert asyncio.run(_read_all(target)) == {}


def test_a_failed_backup_leaves_no_file(postgres_url: str, tmp_path: Path) -> None:
    dump = tmp_path / "holdfast.dump"
    missing = postgres_url.rsplit("/", 1)[0] + "/no_such_database"

    failed = _script("backup.sh", "-o", str(dump), missing)

    assert failed.returncode != 0
    assert "no_such_database" in failed.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_database_url_is_taken_apart_for_libpq() -> None:
    """The driver suffix goes; the password moves to PGPASSWORD, out of the process list."""
    shell = 'source ops/pg-client.sh && pg_url "$1" && printf "%s|%s" "$PG_URL" "${PGPASSWORD:-}"'
    url = "postgresql+asyncpg://holdfast:p%40ss%3Aw@db.internal:5432/holdfast"
    result = subprocess.run(
        ["bash", "-c", shell, "_", url], cwd=OPS.parent, capture_output=True, text=True, check=True, timeout=10
    )
    assert result.stdout == "postgresql://holdfast@db.internal:5432/holdfast|p@ss:w"
    sqlite = subprocess.run(
        ["bash", "-c", shell, "_", "sqlite:///var/holdfast.db"], cwd=OPS.parent, capture_output=True, text=True,
        check=False, timeout=10,
    )  # fmt: skip
    assert sqlite.returncode != 0
    assert "SQLite" in sqlite.stderr
