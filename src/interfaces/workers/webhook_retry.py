"""The in-process webhook retry loop of the embedded default.

The jobs work replaces it with a scheduled SAQ job in production; both call ``RetryWebhookEvents``.
Running both at once is safe: every event is claimed atomically before it is handled.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

from loguru import logger

from application.ports.webhooks import InboxEntry


async def retry_forever(retry: Callable[[], Awaitable[Sequence[InboxEntry]]], interval: float) -> None:
    """Retry due webhook events every ``interval`` seconds until cancelled; a failed round is logged."""
    while True:
        try:
            done = await retry()
            if done:
                outcomes = Counter(entry.status.value for entry in done)
                logger.info("retried {} webhook events: {}", len(done), dict(outcomes))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("webhook retry round failed; trying again next round")
        await asyncio.sleep(interval)
