"""The Lua scripts of the Redis inventory engine: read from ``lua/``, loaded once, called by SHA."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

from infrastructure.inventory.redis_codec import decoded
from infrastructure.resources import lua_dir

SCRIPT_NAMES = ("add_pool", "place_hold", "confirm", "release", "cancel", "expire", "resize", "restore")
_LIBRARY = "lib.lua"


def find_lua_dir() -> Path:
    """The ``lua/`` directory: the installed package's copy, or the checkout's (see
    ``infrastructure.resources``). Other layouts pass ``lua_dir`` to the engine."""
    found = lua_dir()
    if not (found / _LIBRARY).is_file():
        raise FileNotFoundError(f"no {_LIBRARY} in {found}; pass lua_dir explicitly")
    return found


@dataclass(frozen=True, slots=True)
class LuaScript:
    name: str
    source: str

    @property
    def sha(self) -> str:
        return hashlib.sha1(self.source.encode()).hexdigest()


class LuaScripts:
    """Every script, each prefixed with ``lib.lua`` (Redis scripts cannot include files).

    SHAs are computed locally, so calls go straight to EVALSHA; a NOSCRIPT (after SCRIPT FLUSH,
    a restart or a failover) loads them all and runs the pipeline once more.
    """

    def __init__(self, lua_dir: Path | None = None) -> None:
        root = lua_dir or find_lua_dir()
        library = (root / _LIBRARY).read_text()
        self._scripts = {
            name: LuaScript(name, f"{library}\n{(root / f'{name}.lua').read_text()}") for name in SCRIPT_NAMES
        }

    @property
    def shas(self) -> list[str]:
        return [script.sha for script in self._scripts.values()]

    def call(self, pipe: Pipeline, name: str, keys: Sequence[str], args: Sequence[object]) -> None:
        pipe.evalsha(self._scripts[name].sha, len(keys), *keys, *args)

    async def load(self, redis: Redis) -> None:
        """SCRIPT LOAD every script (idempotent, so racing callers do no harm)."""
        for script in self._scripts.values():
            loaded = decoded(await redis.script_load(script.source))
            if loaded != script.sha:
                raise RuntimeError(f"Redis gave {script.name}.lua SHA {loaded}, expected {script.sha}")

    async def run(self, redis: Redis, build: Callable[[Pipeline], object]) -> list[Any]:
        """Run the commands ``build`` queues in one round trip; replies decoded to text.

        Every pipeline the engine builds may run twice: the scripts re-check state, and the
        other commands are idempotent.
        """
        try:
            return await self._execute(redis, build)
        except NoScriptError:
            await self.load(redis)
            return await self._execute(redis, build)

    @staticmethod
    async def _execute(redis: Redis, build: Callable[[Pipeline], object]) -> list[Any]:
        pipe = redis.pipeline(transaction=False)
        build(pipe)
        return decoded(await pipe.execute())
