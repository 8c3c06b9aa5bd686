"""Expire every hold whose time is up, returning its units to the pools."""

from __future__ import annotations

from application.ports.clock import Clock
from application.ports.inventory import InventoryEngine
from domain.inventory import Hold


class ExpireHoldsHandler:
    """Safe to run anywhere, any number of times at once: the engine returns each expired
    hold's units exactly once.
    """

    def __init__(self, engine: InventoryEngine, clock: Clock) -> None:
        self._engine, self._clock = engine, clock

    async def __call__(self, limit: int = 500) -> list[Hold]:
        return await self._engine.expire_due(self._clock.now(), limit)
