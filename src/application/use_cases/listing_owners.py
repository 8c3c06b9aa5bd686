"""Say who owns a listing: add, remove and list its owners (``catalogue:write``)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from domain.errors import NotFoundError
from domain.ownership import ListingOwner, OwnerSubject


@dataclass(frozen=True, slots=True)
class ChangeListingOwner:
    tenant_id: UUID
    listing_id: UUID
    subject: OwnerSubject


class AddListingOwnerHandler:
    """The subject (a user or an API key of the tenant, active) becomes an owner of the tenant's
    listing; once is enough (again: nothing changes, the same answer). Whatever the subject's
    role: ownership scopes what an ``owner`` reads, and means nothing to the other roles. An
    unknown listing, user or key, or another tenant's, is not found."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, command: ChangeListingOwner) -> ListingOwner:
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.listings.get(command.tenant_id, command.listing_id)
            await _require_subject(uow, command.tenant_id, command.subject, self._clock)
            owner = ListingOwner(command.tenant_id, command.listing_id, command.subject, now)
            if await uow.listing_owners.add(owner):
                await uow.audit.record("listing.owner.add", "listing", command.listing_id, after=_summary(owner))
                await uow.commit()
                return owner
            recorded = await uow.listing_owners.of_listing(command.tenant_id, command.listing_id)
        return next((found for found in recorded if found.subject == command.subject), owner)


class RemoveListingOwnerHandler:
    """The subject owns the listing no more; removing an owner that is none is harmless (the
    listing itself must be the tenant's, else not found)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, command: ChangeListingOwner) -> None:
        async with self._uow() as uow:
            await uow.listings.get(command.tenant_id, command.listing_id)
            if await uow.listing_owners.remove(command.tenant_id, command.listing_id, command.subject):
                before = {"subject": str(command.subject)}
                await uow.audit.record("listing.owner.remove", "listing", command.listing_id, before=before)
                await uow.commit()


class ListListingOwnersHandler:
    """The tenant's listing's owners, oldest first; another tenant's listing is not found."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, listing_id: UUID) -> list[ListingOwner]:
        async with self._uow() as uow:
            await uow.listings.get(tenant_id, listing_id)
            return await uow.listing_owners.of_listing(tenant_id, listing_id)


async def _require_subject(uow: UnitOfWork, tenant_id: UUID, subject: OwnerSubject, clock: Clock) -> None:
    if subject.kind == "user":
        await uow.users.get(tenant_id, subject.id)  # NotFoundError for another tenant's
    elif await uow.tenants.managed_key(tenant_id, subject.id, clock.now()) is None:
        raise NotFoundError("api key", subject.id)


def _summary(owner: ListingOwner) -> dict[str, str]:
    return {"subject": str(owner.subject)}
