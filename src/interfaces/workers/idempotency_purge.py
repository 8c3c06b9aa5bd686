"""The in-process purge of expired idempotency records.

It runs wherever the in-process hold sweep runs (``HOLDFAST_EXPIRY_SWEEP_SECONDS`` > 0), hourly:
records only need to disappear some time after their 24 hours, so nothing is gained by
running it often. ``holdfast purge-idempotency`` does the same once, for cron or an operator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from loguru import logger

PURGE_EVERY_SECONDS = 3600.0


async def purge_forever(purge: Callable[[], Awaitable[int]], interval: float) -> None:
    """Purge every ``interval`` seconds until cancelled; a failed round is logged, not fatal."""
    while True:
        try:
            purged = await purge()
            if purged:
                logger.info("purged {} expired idempotency records", purged)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("idempotency purge failed; trying again next round")
        await asyncio.sleep(interval)
