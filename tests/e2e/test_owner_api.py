"""Listing ownership and the owner's read API, on both profiles: admins and managers say who
owns which listing (an API key ``key:<id>`` or a user ``user:<id>``); an owner then reads its
own listings, their bookings and their revenue, and nothing of anyone else's."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api, World
from tests.e2e.helpers import book, hold, make_listing
from tests.e2e.identity_helpers import cheap_hashing, staff


async def _owner_key(world: World, api: Api | None = None) -> tuple[str, Api]:
    """A new owner-role API key of ``api``'s tenant: its subject and a client with it."""
    api = api or world.api
    made = await api.post("/v1/api-keys", {"label": "owner", "role": "owner"})
    assert made.status_code == 201, made.text
    return f"key:{made.json()['id']}", Api(api.client, made.json()["key"], api.clock)


async def _own(api: Api, listing_id: str, subject: str) -> Any:
    return await api.client.put(f"/v1/listings/{listing_id}/owners/{subject}", headers={"X-API-Key": api.key})


async def _paid_booking(world: World, listing_id: str, pool: str, quantity: int = 1) -> dict[str, Any]:
    held = await hold(world.api, listing_id, {pool: quantity})
    assert held.status_code == 201, held.text
    return await book(world, held.json()["id"])


async def test_admins_say_who_owns_a_listing_and_may_take_it_back(world: World) -> None:
    listing_id, _ = await make_listing(world.api)
    subject, _ = await _owner_key(world)

    added = await _own(world.api, listing_id, subject)
    again = await _own(world.api, listing_id, subject)
    listed = await world.api.get(f"/v1/listings/{listing_id}/owners")

    assert added.status_code == again.status_code == 200, added.text
    assert added.json() == again.json()
    assert set(added.json()) == {"listing_id", "subject", "created_at"}
    assert [o["subject"] for o in listed.json()["items"]] == [subject]
    removed = await world.api.delete(f"/v1/listings/{listing_id}/owners/{subject}")
    assert removed.status_code == 204
    assert (await world.api.delete(f"/v1/listings/{listing_id}/owners/{subject}")).status_code == 204
    assert (await world.api.get(f"/v1/listings/{listing_id}/owners")).json() == {"items": []}
    audit = (await world.api.get(f"/v1/admin/audit-logs?entity_type=listing&entity_id={listing_id}")).json()["items"]
    assert [row["action"] for row in audit if row["action"].startswith("listing.owner")] == [
        "listing.owner.add",
        "listing.owner.remove",
    ]


async def test_an_owner_must_be_a_user_or_key_of_the_tenant(world: World) -> None:
    listing_id, _ = await make_listing(world.api)
    theirs, _ = await _owner_key(world, world.other)

    foreign = await _own(world.api, listing_id, theirs)
    unknown = await _own(world.api, listing_id, "user:00000000-0000-0000-0000-000000000000")
    malformed = await _own(world.api, listing_id, "group:everyone")

    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert (malformed.status_code, malformed.json()["code"]) == (400, "validation_failed")
    assert (await world.api.get(f"/v1/listings/{listing_id}/owners")).json() == {"items": []}


async def test_an_owner_reads_its_own_listings_bookings_and_revenue_only(world: World) -> None:
    mine, my_pools = await make_listing(world.api, (("a", 10, 2500),), name="Mine")
    other, other_pools = await make_listing(world.api, (("a", 10, 9900),), name="Not Mine")
    subject, owner = await _owner_key(world)
    assert (await _own(world.api, mine, subject)).status_code == 200
    booked = await _paid_booking(world, mine, my_pools["a"], 2)
    await _paid_booking(world, other, other_pools["a"])
    refund = await world.api.post(f"/v1/bookings/{booked['id']}/refunds", {"amount": 1000})
    assert refund.status_code in (200, 201), refund.text

    listings = (await owner.get("/v1/owner/listings")).json()
    bookings = (await owner.get("/v1/owner/bookings")).json()
    revenue = (await owner.get("/v1/owner/revenue")).json()
    ledger = (await world.api.get(f"/v1/ledger/bookings/{booked['id']}")).json()

    assert [(i["id"], i["name"]) for i in listings["items"]] == [(mine, "Mine")]
    assert listings["next_cursor"] is None
    assert [b["id"] for b in bookings["items"]] == [booked["id"]]
    assert set(bookings["items"][0]) == {
        "id", "listing_id", "status", "payment_status", "lines", "total", "created_at"
    }  # fmt: skip
    [fees] = [t["fees"] for t in ledger["totals"]]
    assert revenue == {
        "items": [
            {
                "listing_id": mine,
                "currency": "EUR",
                "units": 2,
                "gross": 5000,
                "refunds": 1000,
                "fees": fees,
                "net": 5000 - 1000 - fees,
            }
        ]
    }
    assert fees > 0  # the fake gateway charges a Stripe-like fee, posted to the ledger


async def test_another_owners_listing_is_404_and_an_owner_of_nothing_sees_empty_lists(world: World) -> None:
    mine, _ = await make_listing(world.api)
    theirs, _ = await make_listing(world.api)
    subject, owner = await _owner_key(world)
    other_subject, _ = await _owner_key(world)
    _, nobody = await _owner_key(world)
    assert (await _own(world.api, mine, subject)).status_code == 200
    assert (await _own(world.api, theirs, other_subject)).status_code == 200

    refused = [
        await owner.get(f"/v1/owner/listings/{theirs}"),
        await owner.get(f"/v1/owner/bookings?listing_id={theirs}"),
        await owner.get(f"/v1/owner/revenue?listing_id={theirs}"),
    ]

    assert [(r.status_code, r.json()["code"]) for r in refused] == [(404, "not_found")] * 3
    assert (await owner.get(f"/v1/owner/listings/{mine}")).json()["id"] == mine
    assert (await nobody.get("/v1/owner/listings")).json() == {"items": [], "next_cursor": None}
    assert (await nobody.get("/v1/owner/bookings")).json() == {"items": [], "next_cursor": None}
    assert (await nobody.get("/v1/owner/revenue")).json() == {"items": []}


async def test_a_signed_in_owner_user_reads_its_listings_too(world: World) -> None:
    cheap_hashing(world)
    listing_id, pools = await make_listing(world.api)
    user = await staff(world, "owner@example.com", "owner")
    assert (await _own(world.api, listing_id, f"user:{user.id}")).status_code == 200
    booked = await _paid_booking(world, listing_id, pools["a"])

    listings = (await user.get("/v1/owner/listings")).json()
    bookings = (await user.get(f"/v1/owner/bookings?listing_id={listing_id}")).json()

    assert [i["id"] for i in listings["items"]] == [listing_id]
    assert [b["id"] for b in bookings["items"]] == [booked["id"]]


async def test_owner_bookings_come_a_page_at_a_time(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 10, 0),))
    subject, owner = await _owner_key(world)
    assert (await _own(world.api, listing_id, subject)).status_code == 200
    made = []
    for _ in range(3):
        made.append((await _paid_booking(world, listing_id, pools["a"]))["id"])
        world.clock.advance(1)

    first = (await owner.get("/v1/owner/bookings?limit=2")).json()
    rest = (await owner.get(f"/v1/owner/bookings?limit=2&cursor={first['next_cursor']}")).json()

    assert [b["id"] for b in first["items"] + rest["items"]] == made
    assert rest["next_cursor"] is None


async def test_only_catalogue_writers_manage_owners_and_owners_change_nothing(world: World) -> None:
    listing_id, _ = await make_listing(world.api)
    subject, owner = await _owner_key(world)

    refused = await _own(owner, listing_id, subject)
    looked = await owner.get(f"/v1/listings/{listing_id}/owners")

    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert looked.status_code == 403
