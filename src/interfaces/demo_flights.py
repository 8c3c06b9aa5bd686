"""Demo data of a flight: HF101 Lisbon to Amsterdam with a real seat map (``make run``).

Business rows 1-2 (A C | D F), economy rows 3-20 (A B C | D E F) with the exit row 10 and
extra legroom in rows 3 (the bulkhead) and 10. Each seat is a pool (``12A``) and each cabin a
count pool (``cabin-economy``), as ``PUT /v1/listings/{id}/seat-map`` makes them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from application.use_cases.create_listing import CreateListing
from application.use_cases.set_seat_map import SetSeatMap
from domain.listings import ListingKind
from domain.seat_maps import Cabin, SeatFeature, SeatMap
from infrastructure.container import Container

FLIGHT_NAME = "HF101 Lisbon to Amsterdam"
DEPARTS = datetime(2027, 3, 5, 20, tzinfo=UTC)
SEAT_MAP = SeatMap(
    (
        Cabin("business", "Business", 1, 2, "AC DF", 42000, feature_surcharges=((SeatFeature.WINDOW, 1000),)),
        Cabin(
            "economy",
            "Economy",
            3,
            20,
            "ABC DEF",
            8900,
            exit_rows=(10,),
            extra_legroom_rows=(3, 10),
            feature_surcharges=(
                (SeatFeature.WINDOW, 500),
                (SeatFeature.AISLE, 300),
                (SeatFeature.EXTRA_LEGROOM, 1500),
            ),
            row_surcharges=((4, 400), (5, 400)),  # near the front: off the plane first
        ),
    ),
    "EUR",
)


async def load_demo_flight(container: Container, tenant_id: UUID) -> None:
    """The demo flight and its seat map (4 seats a customer: a seat is two units, its seat and
    its cabin's)."""
    listing = await container.use_cases.create_listing()(
        CreateListing(tenant_id, ListingKind.FLIGHT, FLIGHT_NAME, starts_at=DEPARTS, per_customer_limit=8)
    )
    await container.use_cases.set_seat_map()(SetSeatMap(tenant_id, listing.id, SEAT_MAP))
