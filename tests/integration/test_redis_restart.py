"""The service's Redis client after Redis restarts: idle pooled connections the old server closed
are noticed when they are handed out, so no command fails on one (each used to fail once with
"Connection closed by server", answered as a 503)."""

from __future__ import annotations

import asyncio

from infrastructure.container import _redis_client
from tests import servers


async def test_commands_after_a_restart_never_land_on_a_connection_the_old_server_closed(
    restartable_redis: servers.RestartableServer,
) -> None:
    client = _redis_client(restartable_redis.url)
    assert client is not None
    try:
        await asyncio.gather(*[client.ping() for _ in range(8)])  # eight idle connections in the pool
        await asyncio.to_thread(restartable_redis.stop)  # the event loop runs meanwhile, as a server's does
        await asyncio.to_thread(restartable_redis.start)
        for attempt in range(16):  # one after another: each takes the pool's next idle connection
            assert await client.set("after-restart", attempt)
            async with client.pipeline(transaction=False) as pipe:
                pipe.incr("after-restart-pipelined")
                await pipe.execute()
    finally:
        await client.aclose()
