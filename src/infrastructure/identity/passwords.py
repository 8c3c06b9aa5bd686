"""argon2id password hashes (argon2-cffi), computed off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# A password no one has: verified against when the email is unknown, so that answer costs what
# a known email's does (the parameters are this hasher's, the hash is made once per process).
_NOBODY = "holdfast: no such user"


class Argon2PasswordHasher:
    """argon2-cffi's defaults (RFC 9106's second recommended profile: argon2id, 64 MiB, 3
    passes, 4 lanes) unless told otherwise; tests pass cheaper parameters. The C code
    releases the GIL, so hashing in a thread keeps the loop serving while it runs."""

    def __init__(self, time_cost: int | None = None, memory_cost: int | None = None) -> None:
        defaults = Argon2()
        self._argon2 = Argon2(
            time_cost=time_cost or defaults.time_cost,
            memory_cost=memory_cost or defaults.memory_cost,
            parallelism=defaults.parallelism,
        )
        self._dummy = self._argon2.hash(_NOBODY)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    async def verify_nothing(self, password: str) -> None:
        await self.verify(self._dummy, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
