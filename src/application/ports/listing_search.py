"""What ``GET /v1/listings`` asks the listing repository: filters, a sort, a keyset page."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidValueError
from domain.listing_details import sort_name
from domain.listings import Listing, ListingKind

MAX_QUERY_LENGTH = 200


class ListingSort(enum.StrEnum):
    """Ascending, ties broken by id. ``starts_at``: listings without a start come last."""

    CREATED_AT = "created_at"
    STARTS_AT = "starts_at"
    NAME = "name"  # case-folded, compared code point by code point (``domain.listing_details.sort_name``)


# Where a page ends: the last listing's sort value (a datetime, a folded name, or None for a
# listing without a start under ``starts_at``) and its id.
SortKey = tuple[datetime | str | None, UUID]


@dataclass(frozen=True, slots=True)
class ListingFilter:
    """Every filter set must hold (all of them: an AND).

    * ``kind``: of this kind;
    * ``text``: case-insensitive substring of the name, venue, route (``LIS-AMS``, ``LIS``),
      flight number or address;
    * ``starts_from`` <= ``starts_at`` < ``starts_to``: a listing without a start is left out
      when either is set;
    * ``available``: some pool that is not archived has capacity above its recorded sold
      units (units held but not yet sold still count as left: they come back when the hold
      expires);
    * ``archived``: False (the default) lists listings that are not archived, True only archived ones.
    """

    kind: ListingKind | None = None
    text: str | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    available: bool = False
    archived: bool = False

    def __post_init__(self) -> None:
        if self.text is not None and not 1 <= len(self.text) <= MAX_QUERY_LENGTH:
            raise InvalidValueError("q", f"must be 1 to {MAX_QUERY_LENGTH} characters")
        for name, moment in (("from", self.starts_from), ("to", self.starts_to)):
            if moment is not None and moment.tzinfo is None:
                raise InvalidValueError(name, "must carry a UTC offset")
        if self.starts_from is not None and self.starts_to is not None and self.starts_to <= self.starts_from:
            raise InvalidValueError("to", "must be after from")


@dataclass(frozen=True, slots=True)
class ListingSearch:
    where: ListingFilter = field(default_factory=ListingFilter)
    sort: ListingSort = ListingSort.CREATED_AT
    limit: int = 50
    after: SortKey | None = None


@dataclass(frozen=True, slots=True)
class ListingSearchPage:
    items: list[Listing]
    next_after: SortKey | None = None


def sort_key(listing: Listing, sort: ListingSort) -> SortKey:
    """Where a page ending at ``listing`` ends, under ``sort``."""
    if sort is ListingSort.NAME:
        return sort_name(listing.name), listing.id
    if sort is ListingSort.STARTS_AT:
        return listing.starts_at, listing.id
    return listing.created_at, listing.id
