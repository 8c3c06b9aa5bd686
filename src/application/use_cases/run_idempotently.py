"""Run a request at most once per tenant and ``Idempotency-Key``, replaying its stored response."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from application.errors import IdempotencyInProgressError, IdempotencyMismatchError, InvalidIdempotencyKeyError
from application.ports.clock import Clock
from application.ports.idempotency import Claim, IdempotencyRecord, IdempotencyStore, StoredResponse

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class IdempotencyPolicy:
    """When a claim counts as abandoned, and how long a repeat waits for the first to finish.

    ``wait_seconds`` is real time, not the clock port's: it bounds how long a request blocks.
    """

    lock_timeout: timedelta = timedelta(seconds=60)
    wait_seconds: float = 10.0
    first_poll_seconds: float = 0.01
    max_poll_seconds: float = 0.25


@dataclass(frozen=True, slots=True)
class RunIdempotently:
    """A request made under an idempotency key; ``target`` is the path with its query string."""

    tenant_id: UUID
    key: str
    method: str
    target: str
    body: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not 1 <= len(self.key) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in self.key):
            raise InvalidIdempotencyKeyError(
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"
            )

    @property
    def fingerprint(self) -> str:
        """Equal for the same method, target and body bytes; a digest, so records stay small."""
        digest = hashlib.sha256(f"{self.method.upper()} {self.target}\n".encode())
        digest.update(self.body)
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class IdempotentResult:
    response: StoredResponse
    replayed: bool
    stored: bool = True  # False: the request ran but the store failed to settle its key


Action = Callable[[], Awaitable[StoredResponse]]


class RunIdempotentlyHandler:
    """Stripe's rules for idempotency keys:

    * the first request with a key runs; its response is stored if it is final (2xx, 4xx) and
      replayed, byte for byte, to every later request with the same key and fingerprint;
    * the same key with a different request is ``IdempotencyMismatchError`` and runs nothing;
    * a repeat that arrives while the first still runs waits for it (polling, for at most
      ``wait_seconds``) so that a burst of identical retries all get the one stored response,
      and is ``IdempotencyInProgressError`` only if the first is still running by then;
    * a claim older than ``lock_timeout`` belongs to a process that died, and is taken over.

    The response is stored before the client sees it. Should storing fail (Redis or the
    database went away) the request has run all the same, so the client still gets its
    response (``stored`` False says the key was not settled): answering the store's failure
    instead would say "retry", and a refund made but answered 503 would be asked for again
    under a new key. The claim lapses after ``lock_timeout``; a repeat after that runs again.
    """

    def __init__(self, store: IdempotencyStore, clock: Clock, policy: IdempotencyPolicy) -> None:
        self._store, self._clock, self._policy = store, clock, policy

    async def __call__(self, command: RunIdempotently, action: Action) -> IdempotentResult:
        claim = await self._claim(command)
        if isinstance(claim, StoredResponse):
            return IdempotentResult(claim, replayed=True)
        try:
            response = await action()
        except BaseException:
            await self._store.release(claim)
            raise
        try:
            await self._settle(claim, response)
        except Exception:  # the store's own failure: the caller hears of it through ``stored``
            return IdempotentResult(response, replayed=False, stored=False)
        return IdempotentResult(response, replayed=False)

    async def _claim(self, command: RunIdempotently) -> Claim | StoredResponse:
        deadline = time.monotonic() + self._policy.wait_seconds
        delay, fingerprint = self._policy.first_poll_seconds, command.fingerprint
        while True:
            found = await self._begin(command, fingerprint)
            if not isinstance(found, IdempotencyRecord):
                return found
            if found.fingerprint != fingerprint:
                raise IdempotencyMismatchError("this Idempotency-Key was used for a different request")
            if found.response is not None:
                return found.response
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise IdempotencyInProgressError("a request with this Idempotency-Key is still in progress")
            await asyncio.sleep(min(delay, remaining))  # the last look is at the deadline itself
            delay = min(delay * 2, self._policy.max_poll_seconds)

    async def _begin(self, command: RunIdempotently, fingerprint: str) -> Claim | IdempotencyRecord:
        now = self._clock.now()
        stale_before = now - self._policy.lock_timeout
        return await self._store.begin(command.tenant_id, command.key, fingerprint, now, stale_before)

    async def _settle(self, claim: Claim, response: StoredResponse) -> None:
        """Keep final outcomes only.

        A 5xx (or an exception, above) says nothing about what the request would do: the server
        failed, possibly before changing anything, and the client is told to retry. Storing it
        would replay the failure for a day; releasing the key lets the retry run for real. A 429
        likewise only says "not now".
        """
        if is_final(response.status):
            await self._store.complete(claim, response, self._clock.now())
        else:
            await self._store.release(claim)


def is_final(status: int) -> bool:
    return status < 500 and status != 429
