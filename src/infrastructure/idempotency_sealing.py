"""Idempotency records sealed with the client's own ``Idempotency-Key``.

A stored response is replayed byte for byte for a day or more, and some responses carry a secret
shown once: a webhook endpoint's signing secret, a PaymentIntent's client secret. A copy of the
database or of Redis (a backup, a replica, a dump handed to support) must not hand them out. So
the body of every stored response is encrypted (AES-256-GCM) under a key derived from the
tenant and the client's Idempotency-Key, which the stores never keep: they name a record by the
key's SHA-256 (a different derivation, so the name does not open the body). Only a client that
still holds the key, the one entitled to the replay, can have it opened.

The status and the replayed headers (content type, location) stay in the clear: they carry no
secret. Bodies stored before sealing existed have no seal prefix and are replayed as they are.
A seal is as strong as the key it comes from: clients should use random keys (UUIDs), as Stripe
asks of its own.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from application.ports.idempotency import Claim, IdempotencyRecord, IdempotencyStore, StoredResponse

SEAL = b"hfseal1:"  # every sealed body starts with it: the version of this scheme
_NONCE_BYTES = 12
_KEY_CONTEXT = b"holdfast idempotency seal v1\x00"


def record_name(key: str) -> str:
    """How a store names a record: the key's SHA-256, never the key itself."""
    return hashlib.sha256(key.encode()).hexdigest()


class SealedIdempotencyStore:
    """The ``IdempotencyStore`` port around another one, sealing response bodies (see above)."""

    def __init__(self, inner: IdempotencyStore) -> None:
        self._inner = inner

    async def begin(
        self, tenant_id: UUID, key: str, fingerprint: str, now: datetime, stale_before: datetime
    ) -> Claim | IdempotencyRecord:
        found = await self._inner.begin(tenant_id, key, fingerprint, now, stale_before)
        if isinstance(found, IdempotencyRecord) and found.response is not None:
            response = found.response
            body = _open(response.body, tenant_id, key)
            return IdempotencyRecord(found.fingerprint, StoredResponse(response.status, response.headers, body))
        return found

    async def complete(self, claim: Claim, response: StoredResponse, now: datetime) -> bool:
        sealed = StoredResponse(response.status, response.headers, _seal(response.body, claim.tenant_id, claim.key))
        return await self._inner.complete(claim, sealed, now)

    async def release(self, claim: Claim) -> None:
        await self._inner.release(claim)

    async def purge(self, created_before: datetime) -> int:
        return await self._inner.purge(created_before)


def _cipher(tenant_id: UUID, key: str) -> AESGCM:
    return AESGCM(hashlib.sha256(_KEY_CONTEXT + tenant_id.bytes + key.encode()).digest())


def _seal(body: bytes, tenant_id: UUID, key: str) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return SEAL + nonce + _cipher(tenant_id, key).encrypt(nonce, body, tenant_id.bytes)


def _open(stored: bytes, tenant_id: UUID, key: str) -> bytes:
    if not stored.startswith(SEAL):
        return stored  # stored before bodies were sealed
    nonce, sealed = stored[len(SEAL) : len(SEAL) + _NONCE_BYTES], stored[len(SEAL) + _NONCE_BYTES :]
    return _cipher(tenant_id, key).decrypt(nonce, sealed, tenant_id.bytes)
