"""A tenant's own API keys, without their secrets."""

from __future__ import annotations

from uuid import UUID

from application.ports.clock import Clock
from application.ports.repositories import ApiKeyRecord, Page, PageRequest, UnitOfWorkFactory


class ListApiKeysHandler:
    """The tenant's keys still active now, oldest first (a key in a rotation's grace period is
    active, with its end). Revoked and expired keys are not listed, nor scoped (operator) keys:
    those are ops' business. Only hashes are stored, so no secret can be shown."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, tenant_id: UUID, page: PageRequest) -> Page[ApiKeyRecord]:
        async with self._uow() as uow:
            return await uow.tenants.managed_keys(tenant_id, page, self._clock.now())
