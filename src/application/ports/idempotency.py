"""The idempotency store port: durable records of requests made under an ``Idempotency-Key``.

A record is scoped by tenant and key and remembers the request's fingerprint. It is either in
progress (claimed by one caller, who holds a ``Claim``) or completed (it keeps the response to
replay). The store decides who may start a request; what a found record means for the client
(replay, mismatch, wait) is the business of the ``RunIdempotently`` use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """A response as it will be replayed: status, the headers that matter, the exact body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Claim:
    """The right to run a request and record its outcome, held by one caller at a time.

    ``token`` changes when a stale claim is taken over, so a caller that lost its claim cannot
    complete or release the record of the caller that took it.
    """

    tenant_id: UUID
    key: str
    token: UUID


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """A record some other caller made: ``response`` is None while that request still runs."""

    fingerprint: str
    response: StoredResponse | None


class IdempotencyStore(Protocol):
    async def begin(
        self, tenant_id: UUID, key: str, fingerprint: str, now: datetime, stale_before: datetime
    ) -> Claim | IdempotencyRecord:
        """Claims the key if it has no record, atomically: of concurrent callers exactly one wins.

        A record in progress for the same fingerprint whose claim was taken before
        ``stale_before`` (its owner died) is taken over. Otherwise the record found is returned.
        """
        ...

    async def complete(self, claim: Claim, response: StoredResponse, now: datetime) -> bool:
        """Stores the response for replay; False if the claim was lost (taken over) meanwhile."""
        ...

    async def release(self, claim: Claim) -> None:
        """Forgets the record, so that the key can run again; a lost claim releases nothing."""
        ...

    async def purge(self, created_before: datetime) -> int:
        """Deletes records created before ``created_before``; returns how many."""
        ...
