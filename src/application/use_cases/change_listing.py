"""Change a listing: its name, start, rules, cancellation policy, details or waiting room."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.create_listing import listing_summary
from application.use_cases.set_listing_queue import changed_queue
from domain.listing_details import details_of
from domain.listings import Listing
from domain.text import check_line


@dataclass(frozen=True, slots=True)
class ChangeListing:
    tenant_id: UUID
    listing_id: UUID
    # Listing fields to change (``CHANGEABLE_LISTING_FIELDS`` but ``queue``); ``details`` as a
    # mapping of its fields, checked against the listing's kind. Fields left out keep their values.
    changes: Mapping[str, Any] = field(default_factory=dict)
    queue: Mapping[str, Any] | None = None  # QueueSettings fields to change

    def __post_init__(self) -> None:
        if isinstance(self.changes.get("name"), str):
            check_line("name", self.changes["name"])


class ChangeListingHandler:
    """Every change is checked whole against the listing's rules (``Listing.change``): a bad
    value changes nothing. ``details`` replace the listing's details whole and must fit its
    kind (the kind never changes). Holds placed before keep what they locked (their expiry,
    their prices); the new rules apply to holds placed once every process's catalogue cache has
    the change (after the commit: at once in this process, within the cache's stated bound in
    the others). One audit row, with the changed fields before and after (none when nothing differs): ``listing.queue``
    when only the waiting room changed, else ``listing.change``. Another tenant's listing is
    not found."""

    def __init__(self, uow: UnitOfWorkFactory, catalogue: CatalogueCache) -> None:
        self._uow, self._catalogue = uow, catalogue

    async def __call__(self, command: ChangeListing) -> Listing:
        async with self._uow() as uow:
            listing = await uow.listings.get(command.tenant_id, command.listing_id, lock=True)
            before = listing_summary(listing)
            listing.change(**_values(listing, command))
            after = listing_summary(listing)
            changed = [name for name in after if after[name] != before[name]]
            if not changed:  # the values it had: nothing to write, announce or audit
                return await uow.listings.get(command.tenant_id, command.listing_id)
            await uow.listings.save(listing)
            await uow.audit.record(_action(changed), "listing", listing.id, **_summaries(changed, before, after))
            await uow.commit()
        await self._catalogue.changed_listing(listing.id)
        return listing


def _action(changed: list[str]) -> str:
    """``listing.queue`` for a change of the waiting room alone (the name it always had),
    ``listing.change`` for anything else."""
    return "listing.queue" if changed == ["queue"] else "listing.change"


def _summaries(changed: list[str], before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    if changed == ["queue"]:  # as listing.queue rows always were: the settings themselves
        return {"before": before["queue"], "after": after["queue"]}
    return {"before": {n: before[n] for n in changed}, "after": {n: after[n] for n in changed}}


def _values(listing: Listing, command: ChangeListing) -> dict[str, Any]:
    values = dict(command.changes)
    if values.get("details") is not None:
        values["details"] = details_of(listing.kind.value, values["details"])
    if command.queue is not None:
        values["queue"] = changed_queue(listing.queue, command.queue)
    return values
