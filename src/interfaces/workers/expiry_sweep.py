"""The in-process expiry sweeps (holds, unpaid bookings) of the embedded default.

The jobs work replaces it with a SAQ cron job in production; both call the same use case.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from loguru import logger


async def sweep_forever(expire: Callable[[], Awaitable[list[Any]]], interval: float, what: str = "holds") -> None:
    """Expire due holds (or unpaid bookings) every ``interval`` seconds until cancelled; a
    failed round is logged, not fatal."""
    while True:
        try:
            expired = await expire()
            if expired:
                logger.info("expired {} {}", len(expired), what)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("{} expiry sweep failed; trying again next round", what)
        await asyncio.sleep(interval)
