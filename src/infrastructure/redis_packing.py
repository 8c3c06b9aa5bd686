"""Redis connections that turn commands into protocol bytes with less Python work per argument.

redis-py packs a command argument by argument: each goes through its ``Encoder`` (four type
checks) and the buffer is rebuilt for every argument. An inventory script call has about twenty
arguments, so on the hold path this was about a tenth of a request's CPU (benchmarks/RESULTS.md,
hot path). Here a command of ASCII text and integers (nearly every one: keys, ids, JSON bodies,
counts) is built as one string and encoded once; any other is joined once from its arguments'
bytes, with text and bytes taken directly and anything else through redis-py's own ``Encoder``
(so a ``bool`` is still refused, a float written as redis-py writes it). The bytes on the wire are the same as
redis-py's (tests/unit/test_redis_packing.py): only the work to build them changes, and
connection handling, retries and errors stay redis-py's.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection, Connection, SSLConnection, UnixDomainSocketConnection

_CRLF = b"\r\n"
# Encodings in which ASCII text is its own bytes (redis-py's default is utf-8).
_ASCII_SUPERSETS = frozenset({"utf-8", "utf8", "ascii", "latin-1", "latin1", "iso-8859-1"})


class _FastPacking(AbstractConnection):
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
