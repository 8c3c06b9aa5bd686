"""Redis connections that cost less Python work a command: packing, and the deadline of a round trip.

**Packing.**
redis-py packs a command argument by argument: each goes through its ``Encoder`` (four type
checks) and the buffer is rebuilt for every argument. An inventory script call has about twenty
arguments, so on the hold path this was about a tenth of a request's CPU (benchmarks/RESULTS.md,
hot path). Here a command of ASCII text and integers (nearly every one: keys, ids, JSON bodies,
counts) is built as one string and encoded once; any other is joined once from its arguments'
bytes, with text and bytes taken directly and anything else through redis-py's own ``Encoder``
(so a ``bool`` is still refused, a float written as redis-py writes it). The bytes on the wire are the same as
redis-py's (tests/unit/test_redis_connections.py): only the work to build them changes, and
connection handling, retries and errors stay redis-py's.

**One deadline a round trip.** redis-py bounds every reply it reads by ``socket_timeout`` with
a timer of its own: a round trip shared by fifty holds (``SharedRoundTrips``) armed and
cancelled a hundred timers, about a tenth of a hold's CPU. Inside ``one_deadline()`` the
replies read by these connections share one timer instead, armed by the first read with the
connection's ``socket_timeout`` (so a Redis that stops answering still fails the round trip
within it, as a ``redis.exceptions.TimeoutError``, and the connection is dropped, as redis-py
does). Outside it, nothing changes.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection, Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import TimeoutError as RedisTimeoutError

_CRLF = b"\r\n"
# The deadline the reads of the current round trip share (set by ``one_deadline``; task-local).
_SHARED_DEADLINE: ContextVar[asyncio.Timeout | None] = ContextVar("redis_shared_deadline", default=None)
# Encodings in which ASCII text is its own bytes (redis-py's default is utf-8).
_ASCII_SUPERSETS = frozenset({"utf-8", "utf8", "ascii", "latin-1", "latin1", "iso-8859-1"})


class _FastPacking(AbstractConnection):
    async def read_response(
        self,
        disable_decoding: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - redis-py's signature
        *,
        disconnect_on_error: bool = True,
        push_request: bool | None = False,
    ) -> Any:
        shared = _SHARED_DEADLINE.get()
        if shared is not None and timeout is None and self.socket_timeout is not None:
            if shared.when() is None:  # the round trip's first read arms its deadline
                shared.reschedule(asyncio.get_running_loop().time() + self.socket_timeout)
            timeout = math.inf  # no timer of its own: the shared one bounds it
        return await super().read_response(
            disable_decoding, timeout, disconnect_on_error=disconnect_on_error, push_request=push_request
        )

    def pack_command(self, *args: Any) -> list[bytes]:
        first = args[0]
        if isinstance(first, str):  # a name such as 'CONFIG GET' is sent as two words, as redis-py does
            if first.split() != [first]:  # (text without whitespace has no whitespace byte either)
                args = (*first.encode().split(), *args[1:])
        elif isinstance(first, bytes | bytearray | memoryview) and b" " in first:
            args = (*bytes(first).split(), *args[1:])
        if self.encoder.encoding.lower() in _ASCII_SUPERSETS:
            text = _ascii_command(args)
            if text is not None:
                return [text.encode()]
        return [self._bytes_command(args)]

    def _bytes_command(self, args: tuple[Any, ...]) -> bytes:
        encoder = self.encoder
        encoding, errors = encoder.encoding, encoder.encoding_errors
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            kind = type(arg)
            if kind is str:
                data = arg.encode(encoding, errors)
            elif kind is bytes:
                data = arg
            else:
                data = encoder.encode(arg)  # numbers, bytes-likes; raises for what redis-py refuses
            parts += (b"$%d\r\n" % len(data), data, _CRLF)
        return b"".join(parts)


def _ascii_command(args: tuple[Any, ...]) -> str | None:
    """The command as text when every argument is ASCII text or an ``int`` (keys, ids, JSON
    bodies, counts: nearly every command), so that lengths in characters are lengths in bytes
    and the whole command is encoded once; None otherwise."""
    parts = [f"*{len(args)}\r\n"]
    for arg in args:
        kind = type(arg)
        if kind is int:
            arg = str(arg)
        elif kind is not str or not arg.isascii():
            return None
        parts.append(f"${len(arg)}\r\n{arg}\r\n")
    return "".join(parts)


class FastConnection(_FastPacking, Connection):
    pass


class FastSSLConnection(_FastPacking, SSLConnection):
    pass


class FastUnixDomainSocketConnection(_FastPacking, UnixDomainSocketConnection):
    pass


_FAST: dict[type[AbstractConnection], type[AbstractConnection]] = {
    Connection: FastConnection,
    SSLConnection: FastSSLConnection,
    UnixDomainSocketConnection: FastUnixDomainSocketConnection,
}


def with_fast_packing(pool: ConnectionPool) -> ConnectionPool:
    """``pool``, its new connections packing commands as above (a connection class it does not
    know, e.g. one a test chose, is left as it is)."""
    pool.connection_class = _FAST.get(pool.connection_class, pool.connection_class)
    return pool


@asynccontextmanager
async def one_deadline() -> AsyncIterator[None]:
    """The replies read inside share one deadline (see the module's docstring); when it passes,
    the read in progress is abandoned (its connection dropped, as redis-py drops it) and
    ``redis.exceptions.TimeoutError`` raised, as a read's own timeout raises it."""
    deadline = asyncio.timeout(None)
    try:
        async with deadline:
            token = _SHARED_DEADLINE.set(deadline)
            try:
                yield
            finally:
                _SHARED_DEADLINE.reset(token)
    except TimeoutError as exc:
        if deadline.expired():
            raise RedisTimeoutError("Timeout reading from Redis") from exc
        raise
