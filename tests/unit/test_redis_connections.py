"""The cheaper command packing writes exactly the bytes redis-py writes, and refuses what it refuses."""

from __future__ import annotations

import pytest
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import DataError

from infrastructure.redis_connections import (
    FastConnection,
    FastSSLConnection,
    FastUnixDomainSocketConnection,
    with_fast_packing,
)

COMMANDS = [
    ("EVALSHA", "a" * 40, 5, "hf:{l}:pools", "hf:{l}:hold:x", "", 100_000, 604800000, "body", "1"),
    ("SET", "hf:hold-listing:x", "listing", "NX", "GET", "PX", 600_000),
    ("CONFIG GET", "maxmemory"),
    (b"CLIENT SETNAME", b"name"),
    ("HSET", "key", "field", "caf\u00e9 \u2603", b"\x00\xff", bytearray(b"ba"), memoryview(b"mv")),
    ("SET", "k", 1.5, -3, 2**70, "x" * 10_000),
    ("PING",),
]


@pytest.mark.parametrize("command", COMMANDS)
def test_the_bytes_are_redis_pys(command: tuple[object, ...]) -> None:
    fast, plain = FastConnection(), Connection()
    assert b"".join(fast.pack_command(*command)) == b"".join(bytes(c) for c in plain.pack_command(*command))
    packed = fast.pack_commands([command, command])
    assert b"".join(packed) == b"".join(bytes(c) for c in plain.pack_commands([command, command]))


@pytest.mark.parametrize("value", [True, None, object(), [1]])
def test_what_redis_py_refuses_is_refused(value: object) -> None:
    with pytest.raises(DataError):
        FastConnection().pack_command("SET", "k", value)


def test_the_pool_keeps_its_kind_of_connection() -> None:
    for url, plain, fast in (
        ("redis://localhost:6379/0", Connection, FastConnection),
        ("rediss://localhost:6379/0", SSLConnection, FastSSLConnection),
        ("unix:///tmp/redis.sock", UnixDomainSocketConnection, FastUnixDomainSocketConnection),
    ):
        pool = BlockingConnectionPool.from_url(url)
        assert pool.connection_class is plain
        assert with_fast_packing(pool).connection_class is fast
        assert issubclass(fast, plain)


@pytest.mark.parametrize("name", ["GET", "CONFIG GET", "CONFIG\tGET", "OBJECT  ENCODING", "x\x1cy", "caf\u00e9"])
def test_a_command_name_splits_as_redis_py_splits_it(name: str) -> None:
    assert b"".join(FastConnection().pack_command(name, "k")) == b"".join(Connection().pack_command(name, "k"))
