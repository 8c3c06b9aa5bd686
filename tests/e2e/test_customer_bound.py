"""A signed-in customer's holds and bookings are their own: placed as them, counted against
their per-customer limit, and invisible to other customers (404, never data, never a change);
staff and API keys still see the whole tenant. Bearer tokens ride the hold hot path too."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from interfaces.http.app import HoldfastApp
from tests.e2e.conftest import World
from tests.e2e.helpers import database_statements, make_listing
from tests.e2e.identity_helpers import Person, cheap_hashing, customer, staff


@pytest.fixture(autouse=True)
def _cheap(world: World) -> None:
    cheap_hashing(world)


def _hold_body(listing: str, pool: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {"listing_id": listing, "lines": [{"pool_id": pool, "quantity": quantity}], **extra}


async def _hold(who: Person, listing: str, pool: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    response = await who.post("/v1/holds", _hold_body(listing, pool, quantity, **extra))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _journaled(world: World) -> None:
    """On the redis engine the hold list reads the journal: bring it up to date."""
    if world.container.settings().inventory_engine == "redis":
        await world.container.use_cases.journal_holds()()


async def test_a_customers_hold_is_theirs_and_counts_against_their_limit(world: World) -> None:
    listing, pools = await make_listing(world.api, (("a", 10, 500),), per_customer_limit=2)
    ada = await customer(world, "ada@example.com")
    placed = await _hold(ada, listing, pools["a"], 2)
    assert placed["customer_ref"] == f"user:{ada.id}"
    own = await ada.post("/v1/holds", _hold_body(listing, pools["a"], 1, customer_ref=f"user:{ada.id}"))
    assert (own.status_code, own.json()["code"]) == (409, "customer_limit_exceeded")  # counted as ada
    other = await ada.post("/v1/holds", _hold_body(listing, pools["a"], 1, customer_ref="someone-else"))
    assert (other.status_code, other.json()["code"]) == (403, "customer_mismatch")
    # An API key must still name the customer.
    keyless = await world.api.post("/v1/holds", _hold_body(listing, pools["a"]))
    assert (keyless.status_code, keyless.json()["code"]) == (400, "validation_failed")
    availability = (await world.api.get(f"/v1/listings/{listing}/availability")).json()["pools"][0]
    assert availability["held"] == 2


async def test_customers_see_and_change_only_their_own_holds_and_bookings(world: World) -> None:
    listing, pools = await make_listing(world.api, (("a", 10, 500),))
    ada, bob = await customer(world, "ada@example.com"), await customer(world, "bob@example.com", name="Bob")
    adas = await _hold(ada, listing, pools["a"])
    bobs = await _hold(bob, listing, pools["a"])
    assert (await bob.get(f"/v1/holds/{adas['id']}")).status_code == 404
    assert (await bob.delete(f"/v1/holds/{adas['id']}")).status_code == 404
    assert (await bob.post("/v1/bookings", {"hold_id": adas["id"]})).status_code == 404
    listed = (await bob.get("/v1/holds")).json()["items"]
    assert [h["id"] for h in listed] == [bobs["id"]] or world.container.settings().inventory_engine == "redis"
    assert (await bob.get("/v1/holds", params={"customer_ref": f"user:{ada.id}"})).json()["items"] == []

    booked = await ada.post("/v1/bookings", {"hold_id": adas["id"]})
    assert booked.status_code == 201, booked.text
    booking = booked.json()["id"]
    for path in (f"/v1/bookings/{booking}", f"/v1/bookings/{booking}/history", f"/v1/bookings/{booking}/refunds"):
        assert (await bob.get(path)).status_code == 404, path
        assert (await ada.get(path)).status_code == 200, path
    assert (await bob.post(f"/v1/bookings/{booking}/cancel")).status_code == 404
    assert (await bob.get("/v1/bookings")).json()["items"] == []
    assert [b["id"] for b in (await ada.get("/v1/bookings")).json()["items"]] == [booking]
    assert (await world.api.get(f"/v1/bookings/{booking}")).json()["status"] == "pending_payment"  # unchanged
    assert (await ada.get(f"/v1/holds/{adas['id']}")).json()["status"] == "active"  # awaiting payment

    # Staff (and the tenant's API key) see everyone's.
    sam = await staff(world, "sam@example.com")
    assert (await sam.get(f"/v1/bookings/{booking}")).status_code == 200
    assert (await sam.get(f"/v1/holds/{bobs['id']}")).status_code == 200
    released = await bob.delete(f"/v1/holds/{bobs['id']}")
    assert (released.status_code, released.json()["status"]) == (200, "released")
    cancelled = await ada.post(f"/v1/bookings/{booking}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")


async def test_a_customer_of_another_tenant_sees_nothing(world: World) -> None:
    listing, pools = await make_listing(world.api, (("a", 10, 500),))
    ada = await customer(world, "ada@example.com")
    adas = await _hold(ada, listing, pools["a"])
    other_tenant = str((await world.container.use_cases.authenticate()(world.other.key)).tenant.id)
    eve = await customer(world, "eve@example.com", other_tenant, name="Eve")
    assert (await eve.get(f"/v1/holds/{adas['id']}")).status_code == 404
    assert (await eve.post("/v1/holds", _hold_body(listing, pools["a"]))).status_code == 404  # acme's listing


async def test_bearer_tokens_are_answered_by_the_hot_path(world: World) -> None:
    app = world.client._transport.app  # type: ignore[attr-defined]
    assert isinstance(app, HoldfastApp)
    assert app.hot_path is not None
    handed_on: list[str] = []
    fallback = app.hot_path._fallback

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        handed_on.append(scope["path"])
        await fallback(scope, receive, send)

    app.hot_path._fallback = counting
    listing, pools = await make_listing(world.api, (("a", 10, 500),))
    ada = await customer(world, "ada@example.com")
    handed_on.clear()
    placed = await _hold(ada, listing, pools["a"])
    booked = await ada.post("/v1/bookings", {"hold_id": placed["id"]})
    assert booked.status_code == 201, booked.text
    assert handed_on == []  # both answered below Litestar
    bad = await world.client.post(
        "/v1/holds", json=_hold_body(listing, pools["a"]), headers={"Authorization": "Bearer x"}
    )
    assert (bad.status_code, bad.json()["code"]) == (401, "invalid_access_token")
    assert handed_on == ["/v1/holds"]  # a refusal is the route's to answer, as for a bad key


@pytest.mark.parametrize("settings", ["production"], indirect=True)
async def test_bearer_holds_and_refusals_run_no_postgres_query(world: World) -> None:
    """On the redis engine a customer's hold reads no database: the token is checked on the CPU
    and the tenant comes from the catalogue cache, as a key's does."""
    listing, pools = await make_listing(world.api, (("a", 3, 500),), per_customer_limit=2)
    await asyncio.wait_for(world.container.gateways.catalogue().ready(), 10)
    ada = await customer(world, "ada@example.com")
    warm = await _hold(ada, listing, pools["a"])  # fills the cache: the listing and ada's tenant
    assert (await ada.delete(f"/v1/holds/{warm['id']}")).status_code == 200
    with database_statements(world.container) as queries:
        placed = await ada.post("/v1/holds", _hold_body(listing, pools["a"], 2))
        over = await ada.post("/v1/holds", _hold_body(listing, pools["a"], 1))
        expired = await world.client.post(
            "/v1/holds", json=_hold_body(listing, pools["a"]), headers={"Authorization": "Bearer x.y.z"}
        )
    assert placed.status_code == 201, placed.text
    assert over.json()["code"] == "customer_limit_exceeded"
    assert expired.json()["code"] == "invalid_access_token"
    assert queries == []


async def test_an_idempotency_key_is_each_customers_own(world: World) -> None:
    """Two customers of one tenant sending the same Idempotency-Key with the same body each get
    their own hold: neither is replayed the other's stored answer (nor refused for it)."""
    listing, pools = await make_listing(world.api, (("a", 10, 500),))
    ada, bob = await customer(world, "ada@example.com"), await customer(world, "bob@example.com", name="Bob")
    keyed = {"Idempotency-Key": "checkout-1"}
    adas = await ada.post("/v1/holds", _hold_body(listing, pools["a"]), headers=keyed)
    bobs = await bob.post("/v1/holds", _hold_body(listing, pools["a"]), headers=keyed)
    assert (adas.status_code, bobs.status_code) == (201, 201), bobs.text
    assert "Idempotent-Replayed" not in bobs.headers
    assert (adas.json()["customer_ref"], bobs.json()["customer_ref"]) == (f"user:{ada.id}", f"user:{bob.id}")
    again = await bob.post("/v1/holds", _hold_body(listing, pools["a"]), headers=keyed)  # bob's own retry
    assert (again.json()["id"], again.headers.get("Idempotent-Replayed")) == (bobs.json()["id"], "true")
