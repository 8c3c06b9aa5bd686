"""Archive a listing (or take it out of the archive)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.repositories import UnitOfWorkFactory
from domain.listings import Listing


@dataclass(frozen=True, slots=True)
class ArchiveListing:
    tenant_id: UUID
    listing_id: UUID
    archived: bool = True  # False: unarchive


class ArchiveListingHandler:
    """An archived listing takes no new holds (``ListingArchivedError`` on every hold path, once
    the catalogue cache has the change: at once in this process, within its bound in the others)
    and is left out of ``GET /v1/listings`` unless asked for (``archived=true``). Its holds and
    bookings stay as they are: active holds may still be booked, paid, cancelled and refunded.
    Archiving an archived listing (or unarchiving an open one) changes nothing and writes no
    audit row; otherwise one row, ``listing.archive`` or ``listing.unarchive``."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, catalogue: CatalogueCache) -> None:
        self._uow, self._clock, self._catalogue = uow, clock, catalogue

    async def __call__(self, command: ArchiveListing) -> Listing:
        async with self._uow() as uow:
            listing = await uow.listings.get(command.tenant_id, command.listing_id, lock=True)
            before = listing.archived_at
            moved = listing.archive(self._clock.now()) if command.archived else listing.unarchive()
            if not moved:
                return listing
            await uow.listings.save(listing)
            action = "listing.archive" if command.archived else "listing.unarchive"
            summary = {"archived_at": listing.archived_at}
            await uow.audit.record(action, "listing", listing.id, before={"archived_at": before}, after=summary)
            await uow.commit()
        await self._catalogue.changed_listing(listing.id)
        return listing
