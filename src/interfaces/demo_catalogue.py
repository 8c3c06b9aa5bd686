"""The demo listings' details (``make run``): the show's venue and performances, the flight's
route and times, the property's address, check-in/out times and time zone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from application.ports.listing_search import ListingSearch
from application.use_cases.change_listing import ChangeListing
from infrastructure.container import Container

DEMO_DETAILS: Mapping[str, Mapping[str, Any]] = {
    "Holdfast Live: The Rush": {
        "venue": "Coliseu dos Recreios, Lisbon",
        "performances": [
            {
                "code": "opening",
                "name": "Opening night",
                "starts_at": "2027-03-05T20:00:00+00:00",
                "ends_at": "2027-03-05T23:00:00+00:00",
            },
            {
                "code": "matinee",
                "name": "Saturday matinee",
                "starts_at": "2027-03-06T15:00:00+00:00",
                "ends_at": "2027-03-06T18:00:00+00:00",
            },
        ],
    },
    "HF101 Lisbon to Amsterdam": {
        "origin": "LIS",
        "destination": "AMS",
        "flight_number": "HF101",
        "departs_at": "2027-03-05T20:00:00+00:00",
        "arrives_at": "2027-03-05T22:55:00+00:00",
        "aircraft": "Airbus A320neo",
    },
    "Harbour House": {
        "address": "12 Rua da Ribeira, 4050-509 Porto, Portugal",
        "check_in": "15:00",
        "check_out": "11:00",
        "time_zone": "Europe/Lisbon",
    },
}


async def add_demo_details(container: Container, tenant_id: UUID) -> None:
    """Gives each demo listing (found by name) its details, as ``PATCH /v1/listings/{id}`` would."""
    found = await container.use_cases.list_listings()(tenant_id, ListingSearch(limit=50))
    change = container.use_cases.change_listing()
    for listing in found.items:
        if listing.name in DEMO_DETAILS:
            await change(ChangeListing(tenant_id, listing.id, {"details": DEMO_DETAILS[listing.name]}))
