"""Revision 0016 renames stored idempotency records to their key's SHA-256, so a client retrying
across the upgrade still gets the replay of its request (the body, stored before sealing, as is)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from application.ports.idempotency import IdempotencyRecord
from infrastructure import migrations
from infrastructure.idempotency_sealing import SealedIdempotencyStore
from infrastructure.persistence.database import Database
from infrastructure.persistence.idempotency import SqlIdempotencyStore, idempotency_keys
from infrastructure.persistence.tables import tenants

AT = datetime(2030, 1, 1, tzinfo=UTC)


async def test_a_record_made_before_the_upgrade_is_replayed_after_it(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url, "0012")
    tenant = uuid4()
    engine = create_async_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(tenants).values(id=tenant, name="acme", created_at=AT))
            await connection.execute(
                insert(idempotency_keys).values(
                    tenant_id=tenant,
                    key="order-42",
                    fingerprint="f" * 64,
                    response_status=201,
                    response_headers=[["content-type", "application/json"]],
                    response_body=b'{"id": "x"}',
                    created_at=AT,
                    completed_at=AT,
                )
            )
    finally:
        await engine.dispose()

    migrations.upgrade(empty_database_url, "0016")

    database = Database(empty_database_url)
    try:
        store = SealedIdempotencyStore(SqlIdempotencyStore(database))
        found = await store.begin(tenant, "order-42", "f" * 64, AT, AT - timedelta(minutes=1))
    finally:
        await database.dispose()
    assert isinstance(found, IdempotencyRecord)
    assert found.response is not None
    assert (found.response.status, found.response.body) == (201, b'{"id": "x"}')
