"""Change a listing's waiting room settings (queue mode on or off, batch, period, pass)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.repositories import UnitOfWorkFactory
from domain.errors import InvalidValueError
from domain.listings import Listing
from domain.waiting_room import QueueSettings


@dataclass(frozen=True, slots=True)
class SetListingQueue:
    tenant_id: UUID
    listing_id: UUID
    changes: Mapping[str, Any]  # QueueSettings fields to change; the others keep their values


class SetListingQueueHandler:
    """The changes are merged onto the listing's current settings, validated whole
    (``QueueSettings``) and stored on the listing; after the commit the catalogue cache is
    told, so every process's hold path follows within the cache's stated bound (at once in
    this one). Turning queue mode off keeps the queue's places: turned on again, the line is
    where it was. Another tenant's listing is not found."""

    def __init__(self, uow: UnitOfWorkFactory, catalogue: CatalogueCache) -> None:
        self._uow, self._catalogue = uow, catalogue

    async def __call__(self, command: SetListingQueue) -> Listing:
        async with self._uow() as uow:
            listing = await uow.listings.get(command.tenant_id, command.listing_id, lock=True)
            before = dataclasses.asdict(listing.queue)
            listing.set_queue(changed_queue(listing.queue, command.changes))
            await uow.listings.save_queue(listing)
            after = dataclasses.asdict(listing.queue)
            await uow.audit.record("listing.queue", "listing", listing.id, before=before, after=after)
            await uow.commit()
        await self._catalogue.changed_listing(listing.id)
        return listing


def changed_queue(queue: QueueSettings, changes: Mapping[str, Any]) -> QueueSettings:
    """``queue`` with ``changes`` (QueueSettings fields) applied, validated whole."""
    known = {field.name for field in dataclasses.fields(QueueSettings)}
    for name in changes:
        if name not in known:
            raise InvalidValueError(name, "is not a queue setting")
    return dataclasses.replace(queue, **changes)
