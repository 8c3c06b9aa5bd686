"""The shop the payment tests sell through: SQLite, the fake gateway (behind a flaky wrapper), a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from dependency_injector import providers

from infrastructure.container import build_container, close_container
from infrastructure.settings import Settings
from tests.fakes.clock import FakeClock
from tests.unit.payments.shop import Shop


@pytest.fixture
async def shop(sqlite_url: str) -> AsyncIterator[Shop]:
    clock = FakeClock()
    container = build_container(Settings(database_url=sqlite_url, expiry_sweep_seconds=0))
    container.core.clock.override(providers.Object(clock))
    shop = Shop(container, clock)
    await shop.open()
    try:
        yield shop
    finally:
        await close_container(container)
