"""Postgres databases of their own, migrated to head, for suites that must not share tables."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import asyncpg

from infrastructure import migrations
from infrastructure.persistence.all_tables import metadata

_READY: dict[tuple[str, str], str] = {}


def migrated_postgres(server_url: str, name: str) -> str:
    """The URL of database ``name`` on the server, dropped, created and migrated once per run."""
    if (server_url, name) not in _READY:
        # Callable from inside a running loop (an async fixture): the set-up gets a thread of its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            _READY[server_url, name] = pool.submit(_prepare, server_url, name).result()
    return _READY[server_url, name]


def empty_postgres(server_url: str, name: str) -> str:
    """The URL of database ``name`` on the server, dropped and created empty (from sync code)."""
    asyncio.run(_recreate(server_url.replace("postgresql+asyncpg://", "postgresql://"), name))
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def _prepare(server_url: str, name: str) -> str:
    url = empty_postgres(server_url, name)
    migrations.upgrade(url)
    return url


async def _recreate(plain_url: str, name: str) -> None:
    connection = await asyncpg.connect(plain_url)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {name}")
        await connection.execute(f"CREATE DATABASE {name}")
    finally:
        await connection.close()


async def truncate_all(url: str) -> None:
    """Empty every table of the record in the Postgres database at ``url`` (from async code)."""
    tables = ", ".join(table.name for table in metadata.sorted_tables)
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f"TRUNCATE {tables} CASCADE")
    finally:
        await connection.close()
