"""The catalogue cache over a Redis that goes away: a process that cannot hear changes caches
nothing (every key is read from Postgres, so a change made meanwhile is seen at once), and once
Redis is back it subscribes again and caches again, having forgotten all it knew before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from application.errors import UnauthenticatedError
from application.use_cases.issue_api_key import IssueApiKey
from application.use_cases.register_tenant import RegisterTenant, hash_key
from infrastructure.container import Container, build_container, close_container
from infrastructure.settings import Settings
from tests.databases import migrated_postgres, truncate_all
from tests.integration.worker_stack import eventually
from tests.servers import RestartableServer

HEARD_WITHIN_SECONDS = 10.0


@pytest.fixture
async def container(postgres_url: str, restartable_redis: RestartableServer) -> AsyncIterator[Container]:
    database_url = migrated_postgres(postgres_url, "holdfast_catalogue_outage")
    await truncate_all(database_url)
    # An hour: within the test, only the lost subscription can make the cache let go of a key.
    settings = Settings(
        database_url=database_url,
        redis_url=restartable_redis.url,
        inventory_engine="redis",
        catalogue_max_age_seconds=3600,
    )
    built = build_container(settings)
    try:
        yield built
    finally:
        await close_container(built)
        await asyncio.to_thread(restartable_redis.start)  # the next test needs it


async def _accepted(container: Container, key: str) -> bool:
    try:
        await container.use_cases.authenticate()(key)
    except UnauthenticatedError:
        return False
    return True


async def test_no_key_is_cached_while_changes_cannot_be_heard(
    container: Container, restartable_redis: RestartableServer
) -> None:
    key = (await container.use_cases.register_tenant()(RegisterTenant("acme"))).api_key
    cache = container.gateways.catalogue()
    await asyncio.wait_for(cache.ready(), HEARD_WITHIN_SECONDS)
    assert await _accepted(container, key)

    await asyncio.to_thread(restartable_redis.stop)
    async with container.gateways.uow() as uow:  # revoked while no message can be sent
        assert await uow.tenants.revoke_key(hash_key(key), container.core.clock().now())
        await uow.commit()
    await eventually(lambda: _refused(container, key), "the change heard", HEARD_WITHIN_SECONDS)

    await asyncio.to_thread(restartable_redis.start)
    await asyncio.wait_for(cache.ready(), HEARD_WITHIN_SECONDS)
    assert not await _accepted(container, key)
    issued = await container.use_cases.issue_api_key()(IssueApiKey("acme", "after"))
    assert await _accepted(container, issued)


async def _refused(container: Container, key: str) -> bool:
    return not await _accepted(container, key)
