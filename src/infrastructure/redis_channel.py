"""Hearing one Redis pub/sub channel for a per-process cache (the catalogue, the sold-out latch).

A cache kept right by messages may keep what it holds only while it is sure to hear them.
``ChannelListener`` keeps one subscription alive and tells its owner:

* ``heard(data)`` for each message, in the order Redis delivered them;
* ``reset()`` whenever messages may have been missed: the subscription lost (then it is made
  again, after a backoff that grows while it keeps failing), made again, or confirmed (anything
  the owner kept before may predate it);
* ``subscribed`` is set only between a confirmed subscription and its loss. redis-py may also
  reconnect a lost pub/sub connection by itself and subscribe again: from that reconnection
  until the new confirmation it is clear too.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from loguru import logger
from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.webhooks import backoff

RESUBSCRIBE_FIRST_SECONDS, RESUBSCRIBE_CAP_SECONDS = 0.1, 5.0


class ChannelListener:
    def __init__(
        self,
        redis: Redis,
        channel: str,
        *,
        heard: Callable[[str], None],
        reset: Callable[[], None],
        lost: str,
    ) -> None:
        """``lost``: what a lost subscription means, for its warning ("catalogue changes not
        heard (...); <lost> until resubscribed")."""
        self._redis, self.channel = redis, channel
        self._heard, self._reset, self._lost = heard, reset, lost
        self.subscribed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    def listen(self) -> None:
        """Start (idempotent; again after it ended)."""
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen_forever())

    async def ready(self) -> None:
        """Until the subscription is confirmed."""
        self.listen()
        await self.subscribed.wait()

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None

    async def _listen_forever(self) -> None:
        failures = 0
        while True:
            try:
                await self._subscribe_and_hear()
            except (RedisError, OSError) as exc:
                logger.warning("messages on {} not heard ({}); {} until resubscribed", self.channel, exc, self._lost)
            failures = 1 if self.subscribed.is_set() else failures + 1
            self._unsure()
            pause = backoff(failures, random.random(), RESUBSCRIBE_FIRST_SECONDS, RESUBSCRIBE_CAP_SECONDS)
            await asyncio.sleep(pause.total_seconds())

    async def _subscribe_and_hear(self) -> None:
        async with self._redis.pubsub() as pubsub:
            await pubsub.subscribe(self.channel)
            connection = pubsub.connection
            assert connection is not None  # subscribe connected it
            connection.register_connect_callback(self._reconnected)
            try:
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        self._reset()  # anything kept before may have missed a message
                        self.subscribed.set()
                    elif message["type"] == "message":
                        data = message["data"]
                        self._heard(data.decode() if isinstance(data, bytes) else str(data))
            finally:
                connection.deregister_connect_callback(self._reconnected)

    def _reconnected(self, _connection: object) -> None:
        self._unsure()

    def _unsure(self) -> None:
        self.subscribed.clear()
        self._reset()
