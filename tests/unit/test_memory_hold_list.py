"""The memory engine lists a tenant's holds as the sql engine and the hold journal do
(tests/e2e/test_hold_list.py runs those): filtered, oldest first, a page at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from application.ports.hold_list import HoldFilter
from application.ports.repositories import PageRequest
from domain.inventory import Hold, HoldLine, HoldStatus, PoolCounters
from infrastructure.inventory.memory import MemoryInventoryEngine

START = datetime(2027, 1, 1, tzinfo=UTC)
FIRST_PAGE = PageRequest()
TENANT, OTHER = uuid4(), uuid4()


def _hold(tenant: UUID, listing: UUID, pool: UUID, customer: str, minute: int, ttl: int = 600) -> Hold:
    created = START + timedelta(minutes=minute)
    return Hold(
        uuid4(), tenant, listing, customer, (HoldLine(pool, 1),), "EUR", created, created + timedelta(seconds=ttl)
    )


async def test_holds_are_filtered_by_tenant_listing_customer_and_status_a_page_at_a_time() -> None:
    engine = MemoryInventoryEngine()
    listing, other_listing, pool, other_pool = uuid4(), uuid4(), uuid4(), uuid4()
    await engine.add_pool(PoolCounters(pool, listing, 100))
    await engine.add_pool(PoolCounters(other_pool, other_listing, 100))
    holds = [
        _hold(TENANT, listing, pool, "ann", 0),
        _hold(TENANT, listing, pool, "bob", 1),
        _hold(TENANT, other_listing, other_pool, "ann", 2, ttl=60),
        _hold(OTHER, listing, pool, "ann", 3),
    ]
    for hold in holds:
        await engine.place_hold(hold, None)
    await engine.release(holds[1].id, START + timedelta(minutes=5))
    now = START + timedelta(minutes=5)  # holds[2] is due: it reads expired

    async def ids(where: HoldFilter, page: PageRequest = FIRST_PAGE) -> list[UUID]:
        return [hold.id for hold in (await engine.list_holds(TENANT, where, page, now)).items]

    assert await ids(HoldFilter()) == [h.id for h in holds[:3]]
    assert await ids(HoldFilter(listing_id=listing)) == [holds[0].id, holds[1].id]
    assert await ids(HoldFilter(customer_ref="ann")) == [holds[0].id, holds[2].id]
    assert await ids(HoldFilter(status=HoldStatus.RELEASED)) == [holds[1].id]
    assert await ids(HoldFilter(status=HoldStatus.EXPIRED)) == [holds[2].id]
    assert await ids(HoldFilter(status=HoldStatus.ACTIVE)) == [holds[0].id]
    first = await engine.list_holds(TENANT, HoldFilter(), PageRequest(limit=2), now)
    assert [h.id for h in first.items] == [holds[0].id, holds[1].id]
    assert await ids(HoldFilter(), PageRequest(limit=2, after=first.next_after)) == [holds[2].id]
