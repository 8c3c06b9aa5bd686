"""Round trips to Redis shared by concurrent callers in one process.

Every engine call is one pipeline (its commands, often a script call and an index update). Under
a rush, dozens of requests in one API process each send a pipeline of their own: a connection
checkout, a socket write, a wake-up for the reply and a read, each. Here the pipelines that
callers queue within one turn of the event loop are sent as one: the commands of each caller
follow each other unchanged, the replies are split back in the same order, and each caller gets
its own replies or its own error. Nothing changes for a single caller: a pipeline that is alone
in its turn is sent at the end of that turn, as it was before.

What callers rely on, and keep:

* a caller's commands run in order and next to each other, as in its own pipeline; pipelines
  are not transactions (``transaction=False`` there too), so no caller ever relied on another
  caller's commands not running between its own: scripts are the unit of atomicity;
* a command's error (a script's NOSCRIPT, a wrong type) goes to the caller whose command it was,
  raised as its own pipeline would raise it (the first error among its replies);
* a lost connection fails every caller of that round trip, as it would have failed each of
  their own pipelines (and redis-py's retry re-sends the whole pipeline, which every engine
  pipeline allows: see ``LuaScripts.run``);
* Redis not answering fails the round trip within the connection's ``socket_timeout`` (one
  deadline for all its replies: ``redis_connections.one_deadline``), as it failed each pipeline;
* a caller cancelled while waiting leaves the others alone (its commands may still run, exactly
  as a cancelled pipeline's may have reached Redis before).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from infrastructure.redis_connections import one_deadline

Build = Callable[[Pipeline], object]


class SharedRoundTrips:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._queued: list[_Caller] | None = None  # the callers of this turn, once one came
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop their round trip is due on

    async def run(self, build: Build) -> list[Any]:
        """The replies to the commands ``build`` queues (redis-py's, not decoded)."""
        loop = asyncio.get_running_loop()
        caller = _Caller(build, loop.create_future())
        if self._queued is None or self._loop is not loop:  # (a turn due on a closed loop never comes)
            self._queued, self._loop = [], loop
            loop.call_soon(self._send_turn, self._queued)
        self._queued.append(caller)
        return await caller.replies

    def _send_turn(self, callers: list[_Caller]) -> None:
        if self._queued is callers:
            self._queued = None
        asyncio.get_running_loop().create_task(self._send(callers))

    async def _send(self, callers: list[_Caller]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        counts = []
        for caller in callers:
            before = len(pipe.command_stack)
            try:
                caller.build(pipe)
            except BaseException as exc:  # this caller's own mistake: its commands are dropped
                del pipe.command_stack[before:]
                caller.fail(exc)
            counts.append(len(pipe.command_stack) - before)
        try:
            async with one_deadline():  # one timer for the round trip's replies, not one a reply
                replies = await pipe.execute(raise_on_error=False) if pipe.command_stack else []
        except BaseException as exc:  # the round trip failed: so did each caller's pipeline
            for caller in callers:
                caller.fail(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        start = 0
        for caller, count in zip(callers, counts, strict=True):
            caller.answer(replies[start : start + count])
            start += count


class _Caller:
    __slots__ = ("build", "replies")

    def __init__(self, build: Build, replies: asyncio.Future[list[Any]]) -> None:
        self.build, self.replies = build, replies

    def fail(self, exc: BaseException) -> None:
        if not self.replies.done():
            if isinstance(exc, asyncio.CancelledError):
                self.replies.cancel()
            else:
                self.replies.set_exception(exc)

    def answer(self, replies: list[Any]) -> None:
        if self.replies.done():  # failed while building, or the caller stopped waiting
            return
        error = next((reply for reply in replies if isinstance(reply, Exception)), None)
        if error is not None:
            self.replies.set_exception(error)
        else:
            self.replies.set_result(replies)
