"""Create a listing: a show, a flight or a property."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.repositories import UnitOfWorkFactory
from domain.listing_details import details_of, details_to_json
from domain.listings import DEFAULT_HOLD_TTL_SECONDS, CancellationPolicy, Listing, ListingKind
from domain.text import check_line


def listing_summary(listing: Listing) -> dict[str, object]:
    """A listing as its audit rows show it (``title``: a listing's name is not a person's)."""
    return {
        "kind": listing.kind,
        "title": listing.name,
        "starts_at": listing.starts_at,
        "per_customer_limit": listing.per_customer_limit,
        "hold_ttl_seconds": listing.hold_ttl_seconds,
        "policy": dataclasses.asdict(listing.policy),
        "details": None if listing.details is None else details_to_json(listing.details),
        "queue": dataclasses.asdict(listing.queue),
    }


@dataclass(frozen=True, slots=True)
class CreateListing:
    tenant_id: UUID
    kind: ListingKind
    name: str
    starts_at: datetime | None = None
    per_customer_limit: int | None = None
    hold_ttl_seconds: int = DEFAULT_HOLD_TTL_SECONDS
    policy: CancellationPolicy = field(default_factory=CancellationPolicy)
    details: Mapping[str, Any] | None = None  # the fields of the kind's details (domain.listing_details)

    def __post_init__(self) -> None:
        check_line("name", self.name)


class CreateListingHandler:
    """A listing starts with no pools; its hold TTL and per-customer limit govern every hold.
    Its details, when given, must fit its kind (``details_of``); a listing given no start
    starts when its details say (a show's first performance, a flight's departure)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    async def __call__(self, command: CreateListing) -> Listing:
        details = None if command.details is None else details_of(command.kind.value, command.details)
        starts_at = command.starts_at if command.starts_at is not None or details is None else details.starts_at
        listing = Listing(
            id=self._ids.new_id(),
            tenant_id=command.tenant_id,
            kind=command.kind,
            name=command.name,
            created_at=self._clock.now(),
            starts_at=starts_at,
            per_customer_limit=command.per_customer_limit,
            hold_ttl_seconds=command.hold_ttl_seconds,
            policy=command.policy,
            details=details,
        )
        async with self._uow() as uow:
            await uow.listings.add(listing)
            await uow.audit.record("listing.create", "listing", listing.id, after=listing_summary(listing))
            await uow.commit()
        return listing
