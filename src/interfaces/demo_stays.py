"""The demo's stay property, "Harbour House": two room types with a year of nights, rules and a
block, so that `make run` shows stays working (calendar, rules refusing, a stay hold booked)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from application.use_cases.create_listing import CreateListing
from application.use_cases.stays.blocks import BlockNights
from application.use_cases.stays.room_types import CreateRoomType
from application.use_cases.stays.rules import SetStayRules
from domain.listings import ListingKind
from domain.stays import StayRules, weekdays_of
from infrastructure.container import Container

NAME = "Harbour House"
# (code, name, rooms, nightly price in cents)
ROOM_TYPES = (("double", "Double room", 6, 12000), ("suite", "Harbour suite", 2, 26000))
# At least two nights, no arrival on a Sunday (the desk is closed), one turnover day after a suite.
PROPERTY_RULES = StayRules(min_nights=2, check_in_days=weekdays_of(("mon", "tue", "wed", "thu", "fri", "sat")))
SUITE_RULES = StayRules(min_nights=2, buffer_days=1, check_in_days=PROPERTY_RULES.check_in_days)
BLOCK_IN_DAYS = 14  # the suites are shut for a night of repairs, two weeks from the day the demo is made


async def load_demo_stays(container: Container, tenant_id: UUID) -> UUID:
    """Makes the demo's stay property; returns its id."""
    use_cases = container.use_cases
    listing = await use_cases.create_listing()(CreateListing(tenant_id, ListingKind.STAY_PROPERTY, NAME))
    for code, name, units, price in ROOM_TYPES:
        await use_cases.create_room_type()(CreateRoomType(tenant_id, listing.id, code, name, units, price, "EUR"))
    set_rules = use_cases.set_stay_rules()
    await set_rules(SetStayRules(tenant_id, listing.id, PROPERTY_RULES))
    await set_rules(SetStayRules(tenant_id, listing.id, SUITE_RULES, room_type="suite"))
    night = container.core.clock().now().date() + timedelta(days=BLOCK_IN_DAYS)
    block = BlockNights(tenant_id, listing.id, "suite", night, night + timedelta(days=1), reason="repairs")
    await use_cases.block_nights()(block)
    return listing.id
