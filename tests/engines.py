"""How the tests build each inventory engine on a clean slate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from application.ports.inventory import InventoryEngine
from infrastructure.inventory.memory import MemoryInventoryEngine


async def _nothing() -> None:
    return None


@dataclass
class EngineHandle:
    engine: InventoryEngine
    aclose: Callable[[], Awaitable[None]] = _nothing


async def memory_engine() -> EngineHandle:
    return EngineHandle(MemoryInventoryEngine())
