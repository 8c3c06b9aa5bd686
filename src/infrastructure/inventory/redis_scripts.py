"""The Lua scripts of the Redis inventory engine: read from ``lua/``, loaded once, called by SHA."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

from infrastructure.inventory.redis_codec import decoded
from infrastructure.inventory.redis_round_trips import SharedRoundTrips
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
    sha: str = field(init=False)

    def __post_init__(self) -> None:  # once, not per call: every engine call names its script by SHA
        object.__setattr__(self, "sha", hashlib.sha1(self.source.encode()).hexdigest())


class LuaScripts:
    """Every script, each prefixed with ``lib.lua`` (Redis scripts cannot include files).

    SHAs are computed locally, so calls go straight to EVALSHA; a NOSCRIPT (after SCRIPT FLUSH,
    a restart or a failover) loads them all and runs the pipeline once more. ``names`` and
    ``library`` default to the inventory engine's; other users (the rate limiter) name their own
    scripts, with no library (None).
    """

    def __init__(
        self, lua_dir: Path | None = None, names: Sequence[str] = SCRIPT_NAMES, library: str | None = _LIBRARY
    ) -> None:
        root = lua_dir or find_lua_dir()
        prefix = f"{(root / library).read_text()}\n" if library else ""
        self._scripts = {name: LuaScript(name, prefix + (root / f"{name}.lua").read_text()) for name in names}

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

    async def run(self, trips: SharedRoundTrips, build: Callable[[Pipeline], object]) -> list[Any]:
        """Run the commands ``build`` queues in one round trip (shared with the other callers of
        the same turn: ``SharedRoundTrips``); replies decoded to text.

        Every pipeline the engine builds may run twice: the scripts re-check state, and the
        other commands are idempotent.
        """
        try:
            return decoded(await trips.run(build))
        except NoScriptError:
            await self.load(trips.redis)
            return decoded(await trips.run(build))
