"""Redis connections that turn commands into protocol bytes with less Python work per argument.

redis-py packs a command argument by argument: each goes through its ``Encoder`` (four type
checks) and the buffer is rebuilt for every argument. An inventory script call has about twenty
arguments, so on the hold path this was about a tenth of a request's CPU (benchmarks/RESULTS.md,
hot path). Here text and bytes, nearly every argument, are encoded directly and the command is
joined once; anything else goes through redis-py's own ``Encoder`` (so a ``bool`` is still
refused, an ``int`` written as redis-py writes it). The bytes on the wire are the same as
redis-py's (tests/unit/test_redis_packing.py): only the work to build them changes, and
connection handling, retries and errors stay redis-py's.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection, Connection, SSLConnection, UnixDomainSocketConnection

_CRLF = b"\r\n"


class _FastPacking(AbstractConnection):
    def pack_command(self, *args: Any) -> list[bytes]:
        if isinstance(args[0], str):  # a name such as 'CONFIG GET' is sent as two words, as redis-py does
            args = (*args[0].encode().split(), *args[1:])
        elif isinstance(args[0], bytes | bytearray | memoryview) and b" " in args[0]:
            args = (*bytes(args[0]).split(), *args[1:])
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
        return [b"".join(parts)]


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
