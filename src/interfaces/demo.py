"""Demo data for the embedded default: a show, a flight and a property, for one demo tenant
(the property, with its room types and rules, is made in ``demo_stays``)."""

from __future__ import annotations

from datetime import UTC, datetime

from application.use_cases.create_listing import CreateListing
from application.use_cases.create_pool import CreatePool
from application.use_cases.register_tenant import RegisterTenant
from domain.listings import Listing, ListingKind
from infrastructure.container import Container
from interfaces.demo_catalogue import add_demo_details
from interfaces.demo_flights import load_demo_flight
from interfaces.demo_pricing import load_demo_pricing
from interfaces.demo_stays import load_demo_stays

DEMO_TENANT = "demo"
# Printed by `make run`; only ever loaded into a local, embedded database.
DEMO_API_KEY = "hf_demo_local_only_key_do_not_use_in_production"

SHOW_ZONES = (
    ("zone-a", "Zone A", 500, 8900),
    ("zone-b", "Zone B", 300, 5900),
    ("balcony", "Balcony", 120, 3900),
)


async def load_demo(container: Container) -> tuple[str, bool]:
    """Returns the demo key and whether the data was created now (False: it was there)."""
    uow = container.gateways.uow()
    async with uow:
        if await uow.tenants.find_by_name(DEMO_TENANT) is not None:
            return DEMO_API_KEY, False
    registered = await container.use_cases.register_tenant()(RegisterTenant(DEMO_TENANT, "demo", DEMO_API_KEY))
    tenant_id = registered.tenant.id
    await _listing(container, tenant_id, ListingKind.EVENT_SHOW, "Holdfast Live: The Rush", 4, SHOW_ZONES)
    await load_demo_flight(container, tenant_id)
    await load_demo_stays(container, tenant_id)  # "Harbour House": room types, rules, a block
    await load_demo_pricing(container, tenant_id)  # the property's price plan
    await add_demo_details(container, tenant_id)  # venue and shows, route and times, address
    return DEMO_API_KEY, True


async def _listing(container, tenant_id, kind, name, limit, pools) -> None:  # type: ignore[no-untyped-def]
    starts = datetime(2027, 3, 5, 20, tzinfo=UTC)
    listing = await container.use_cases.create_listing()(
        CreateListing(tenant_id, kind, name, starts_at=starts, per_customer_limit=limit)
    )
    create_pool = container.use_cases.create_pool()
    for code, title, capacity, price, *night in pools:
        command = CreatePool(
            tenant_id, listing.id, code, capacity, price, "EUR", name=title, night=(night or [None])[0]
        )
        await create_pool(command)


async def demo_listings(container: Container) -> list[Listing]:
    """The demo tenant's listings (none when `holdfast seed-demo` has not run): the landing
    page links their booking pages in development."""
    from application.ports.repositories import PageRequest

    async with container.gateways.uow() as uow:
        tenant = await uow.tenants.find_by_name(DEMO_TENANT)
        if tenant is None:
            return []
        page = await uow.listings.list(tenant.id, PageRequest(limit=20))
    return list(page.items)
