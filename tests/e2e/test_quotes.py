"""Quotes: an itemised price that holds nothing, a hold that locks it until the quote expires,
and a booking of that hold charged exactly the quoted total, whatever the prices become."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.quotes import hold_id_for_quote
from interfaces.demo import DEMO_API_KEY, load_demo
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import availability, pay
from tests.e2e.identity_helpers import cheap_hashing, customer

# 2030-01-03 is a Thursday (the fake clock reads 2030-01-01 12:00 UTC, a Tuesday).
NIGHTS = ("2030-01-03", "2030-01-04", "2030-01-05")
PLAN: dict[str, Any] = {
    "currency": "EUR",
    "seasons": [{"name": "winter", "starts_on": "2030-01-04", "ends_on": "2030-01-31", "unit_price": 12_000}],
    "weekday_rates": [{"name": "weekend", "weekdays": ["fri", "sat"], "adjust_bp": 2_500}],
    "stay_discounts": [{"min_nights": 3, "percent_bp": 1_000}],
    "fees": [{"name": "cleaning", "kind": "fixed", "value": 5_000}],
    "taxes": [
        {"name": "tourist tax", "kind": "fixed", "value": 150, "per": "unit"},
        {"name": "VAT", "kind": "percent", "value": 1_000, "inclusive": True},
    ],
}


async def put(api: Api, path: str, body: Any) -> Any:
    return await api.client.put(path, json=body, headers={"X-API-Key": api.key})


async def stay(api: Api, plan: dict[str, Any] | None = PLAN, **listing: Any) -> tuple[str, list[str]]:
    """A property with one double room for three nights (10,000 a night), priced by ``plan``."""
    created = await api.post("/v1/listings", {"kind": "stay_property", "name": "Sea View", **listing})
    assert created.status_code == 201, created.text
    listing_id = created.json()["id"]
    nights = []
    for night in NIGHTS:
        body = {"code": f"dbl-{night}", "capacity": 2, "unit_price": 10_000, "currency": "EUR", "night": night}
        pool = await api.post(f"/v1/listings/{listing_id}/pools", body)
        assert pool.status_code == 201, pool.text
        nights.append(pool.json()["id"])
    if plan is not None:
        response = await put(api, f"/v1/listings/{listing_id}/pricing", plan)
        assert response.status_code == 200, response.text
    return listing_id, nights


def basket(listing_id: str, pools: list[str], customer_ref: str | None = "cust-1") -> dict[str, Any]:
    body: dict[str, Any] = {"listing_id": listing_id, "lines": [{"pool_id": p, "quantity": 1} for p in pools]}
    return body if customer_ref is None else {**body, "customer_ref": customer_ref}


async def quote(api: Any, listing_id: str, pools: list[str], customer_ref: str | None = "cust-1") -> dict[str, Any]:
    response = await api.post("/v1/quotes", basket(listing_id, pools, customer_ref))
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/quotes/{response.json()['id']}"
    return response.json()  # type: ignore[no-any-return]


async def test_a_quote_itemises_the_price_plan_and_holds_nothing(world: World) -> None:
    listing_id, nights = await stay(world.api)

    found = await quote(world.api, listing_id, nights)

    lines = [(line["kind"], line["label"], line["amount"], line["day"]) for line in found["lines"]]
    assert lines == [
        ("base", "dbl-2030-01-03", 10_000, "2030-01-03"),
        ("discount", "3+ nights", -1_000, "2030-01-03"),
        ("base", "dbl-2030-01-04", 10_000, "2030-01-04"),
        ("season", "winter", 2_000, "2030-01-04"),
        ("weekday", "weekend", 3_000, "2030-01-04"),
        ("discount", "3+ nights", -1_500, "2030-01-04"),
        ("base", "dbl-2030-01-05", 10_000, "2030-01-05"),
        ("season", "winter", 2_000, "2030-01-05"),
        ("weekday", "weekend", 3_000, "2030-01-05"),
        ("discount", "3+ nights", -1_500, "2030-01-05"),
        ("fee", "cleaning", 5_000, None),
        ("tax", "tourist tax", 450, None),  # 150 a unit, 3 units
        ("tax", "VAT", 3_727, None),  # 41,000 - 41,000 / 1.1, half-even: inside the prices
    ]
    assert [line["included"] for line in found["lines"]][-2:] == [False, True]
    assert (found["subtotal"], found["tax"], found["included_tax"], found["total"]) == (41_000, 450, 3_727, 41_450)
    assert found["total"] == sum(line["amount"] for line in found["lines"] if not line["included"])
    assert (found["status"], found["currency"], found["pricing_version"], found["hold_id"]) == ("open", "EUR", 1, None)
    assert found["expires_at"] == "2030-01-01T12:15:00Z"  # HOLDFAST_QUOTE_TTL_SECONDS: 900
    assert await availability(world.api, listing_id) == {f"dbl-{n}": (0, 0, 2) for n in NIGHTS}
    assert (await world.api.get(f"/v1/quotes/{found['id']}")).json() == found


async def test_a_listing_without_a_plan_is_quoted_at_its_unit_prices(world: World) -> None:
    listing_id, nights = await stay(world.api, plan=None)

    found = await quote(world.api, listing_id, nights[:2])

    assert [(line["kind"], line["amount"]) for line in found["lines"]] == [("base", 10_000), ("base", 10_000)]
    assert (found["total"], found["pricing_version"]) == (20_000, 0)


async def test_holding_a_quote_locks_its_units_until_the_quote_expires_and_twice_is_one_hold(world: World) -> None:
    listing_id, nights = await stay(world.api, hold_ttl_seconds=3600)  # longer than the quote's 900 s
    found = await quote(world.api, listing_id, nights)

    first = await world.api.post(f"/v1/quotes/{found['id']}/hold")
    again = await world.api.post(f"/v1/quotes/{found['id']}/hold")

    assert first.status_code == again.status_code == 200, first.text
    held = first.json()
    assert held["hold"]["id"] == again.json()["hold"]["id"] == held["quote"]["hold_id"]
    assert held["hold"]["expires_at"] == found["expires_at"]  # never later than the quote
    assert held["hold"]["customer_ref"] == "cust-1"
    assert (held["quote"]["status"], held["quote"]["total"]) == ("held", 41_450)
    assert await availability(world.api, listing_id) == {f"dbl-{n}": (1, 0, 1) for n in NIGHTS}
    rows = (await world.api.get("/v1/admin/audit-logs", params={"entity_type": "quote"})).json()["items"]
    assert [(row["action"], row["entity_id"], row["after"]["hold_id"]) for row in rows] == [
        ("quote.hold", found["id"], held["hold"]["id"])  # once: the second hold was the same
    ]


async def test_a_price_change_after_the_quote_hold_still_charges_the_quoted_total(world: World) -> None:
    listing_id, nights = await stay(world.api)
    found = await quote(world.api, listing_id, nights)
    hold_id = (await world.api.post(f"/v1/quotes/{found['id']}/hold")).json()["hold"]["id"]
    dearer = {**PLAN, "stay_discounts": [], "fees": [{"name": "cleaning", "kind": "fixed", "value": 9_000}]}
    assert (await put(world.api, f"/v1/listings/{listing_id}/pricing", dearer)).status_code == 200
    assert (await quote(world.api, listing_id, nights))["total"] == 49_450  # a new quote pays the new prices

    response = await world.api.post("/v1/bookings", {"hold_id": hold_id})

    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["payment"]["amount"] == 41_450
    await pay(world, booking)
    paid = (await world.api.get(f"/v1/bookings/{booking['id']}")).json()
    assert (paid["status"], paid["payment"]["captured"]) == ("confirmed", 41_450)
    assert paid["total"] == {"amount": 41_450, "currency": "EUR"}
    ledger = (await world.api.get(f"/v1/ledger/bookings/{booking['id']}")).json()
    sale = [tx for tx in ledger["transactions"] if tx["kind"] != "fee_charged"]  # Stripe's fee: its own
    assert [(tx["kind"], [e["amount"] for e in tx["entries"]]) for tx in sale] == [
        ("payment_captured", [41_450, 41_450]),
        ("booking_confirmed", [41_450, 41_450]),
    ]
    assert ledger["totals"][0]["captured"] == 41_450


async def test_fees_make_a_quote_of_free_units_a_paid_booking(world: World) -> None:
    plan = {"currency": "EUR", "fees": [{"name": "service", "kind": "fixed", "value": 500}]}
    free_plan = {**plan, "seasons": [], "weekday_rates": [], "stay_discounts": [], "taxes": []}
    created = await world.api.post("/v1/listings", {"kind": "event_show", "name": "Free gig"})
    listing_id = created.json()["id"]
    pool = await world.api.post(
        f"/v1/listings/{listing_id}/pools", {"code": "floor", "capacity": 5, "unit_price": 0, "currency": "EUR"}
    )
    assert (await put(world.api, f"/v1/listings/{listing_id}/pricing", free_plan)).status_code == 200
    found = await quote(world.api, listing_id, [pool.json()["id"]])
    hold_id = (await world.api.post(f"/v1/quotes/{found['id']}/hold")).json()["hold"]["id"]

    booking = (await world.api.post("/v1/bookings", {"hold_id": hold_id})).json()

    assert (booking["status"], booking["payment"]["amount"]) == ("pending_payment", 500)


async def test_a_zone_is_priced_by_its_listings_start_date(world: World) -> None:
    starts = "2030-01-05T20:00:00Z"  # a Saturday
    created = await world.api.post("/v1/listings", {"kind": "event_show", "name": "Gala", "starts_at": starts})
    listing_id = created.json()["id"]
    pool = await world.api.post(
        f"/v1/listings/{listing_id}/pools", {"code": "a", "capacity": 5, "unit_price": 4_000, "currency": "EUR"}
    )
    weekend = {"currency": "EUR", "weekday_rates": [{"name": "saturday", "weekdays": ["sat"], "adjust_bp": 5_000}]}
    assert (await put(world.api, f"/v1/listings/{listing_id}/pricing", weekend)).status_code == 200

    found = await quote(world.api, listing_id, [pool.json()["id"]])

    assert [(line["kind"], line["amount"], line["day"]) for line in found["lines"]] == [
        ("base", 4_000, "2030-01-05"),
        ("weekday", 2_000, "2030-01-05"),
    ]


async def test_an_expired_quote_cannot_be_held(world: World) -> None:
    listing_id, nights = await stay(world.api)
    found = await quote(world.api, listing_id, nights)
    world.clock.advance(900)

    response = await world.api.post(f"/v1/quotes/{found['id']}/hold")

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "quote_expired"
    assert (await world.api.get(f"/v1/quotes/{found['id']}")).json()["status"] == "expired"
    assert await availability(world.api, listing_id) == {f"dbl-{n}": (0, 0, 2) for n in NIGHTS}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda b: {**b, "lines": [{"pool_id": "00000000-0000-0000-0000-000000000000", "quantity": 1}]}, "not_found"),
        (lambda b: {**b, "lines": b["lines"] + b["lines"][:1]}, "validation_failed"),
        (lambda b: {**b, "lines": [{**b["lines"][0], "quantity": 0}]}, "validation_failed"),
        (lambda b: {**b, "lines": []}, "validation_failed"),
        (lambda b: {**b, "total": 1}, "validation_failed"),
        (lambda b: {k: v for k, v in b.items() if k != "customer_ref"}, "validation_failed"),
    ],
)
async def test_a_bad_basket_is_refused_and_nothing_is_quoted(world: World, change: Any, code: str) -> None:
    listing_id, nights = await stay(world.api)

    response = await world.api.post("/v1/quotes", change(basket(listing_id, nights)))

    assert response.status_code in (400, 404), response.text
    assert response.json()["code"] == code


async def test_quotes_are_the_tenants_and_a_customers_own(world: World) -> None:
    cheap_hashing(world)
    listing_id, nights = await stay(world.api)
    ada = await customer(world, "ada@example.com")
    bob = await customer(world, "bob@example.com", name="Bob")
    adas = await quote(ada, listing_id, nights, customer_ref=None)
    assert adas["customer_ref"] == f"user:{ada.id}"

    assert (await bob.get(f"/v1/quotes/{adas['id']}")).status_code == 404
    assert (await bob.post(f"/v1/quotes/{adas['id']}/hold")).status_code == 404
    assert (await world.other.get(f"/v1/quotes/{adas['id']}")).status_code == 404
    assert (await world.other.post(f"/v1/quotes/{adas['id']}/hold")).status_code == 404
    assert await availability(world.api, listing_id) == {f"dbl-{n}": (0, 0, 2) for n in NIGHTS}

    held = await ada.post(f"/v1/quotes/{adas['id']}/hold")
    assert held.status_code == 200, held.text
    assert held.json()["hold"]["customer_ref"] == f"user:{ada.id}"
    assert (await world.api.get(f"/v1/quotes/{adas['id']}")).status_code == 200  # staff see the tenant's


async def _all_pools(api: Api, listing_id: str) -> list[dict[str, Any]]:
    pools: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = (await api.get(f"/v1/listings/{listing_id}/pools", params={"cursor": cursor} if cursor else {})).json()
        pools += page["items"]
        if not (cursor := page.get("next_cursor")):
            return pools


async def test_the_demo_property_quotes_with_its_season_weekend_rate_fee_and_tax(world: World) -> None:
    await load_demo(world.container)
    demo = Api(world.client, DEMO_API_KEY, world.clock)
    listings = (await demo.get("/v1/listings")).json()["items"]
    house = next(item for item in listings if item["kind"] == "stay_property")
    plan = (await demo.get(f"/v1/listings/{house['id']}/pricing")).json()
    assert [len(plan[kind]) for kind in ("seasons", "weekday_rates", "stay_discounts", "fees", "taxes")] == [1] * 5
    # The fake clock's day is Tuesday 2030-01-01; the demo's season starts 60 days on, a Saturday.
    wanted = [(date(2030, 1, 1) + timedelta(days=n)).isoformat() for n in range(58, 63)]  # Thu to Mon
    doubles = {
        pool["night"]: pool["id"] for pool in await _all_pools(demo, house["id"]) if pool["code"].startswith("double")
    }

    found = await quote(demo, house["id"], [doubles[night] for night in wanted], customer_ref="demo-guest")

    # Thu 12,000; Fri +20 %; Sat in season (14,000) +20 %; Sun and Mon in season.
    nights: dict[str, list[int]] = {}
    for line in found["lines"]:
        if line["pool_id"]:
            nights.setdefault(line["day"], []).append(line["amount"])
    assert nights == {
        "2030-02-28": [12_000],
        "2030-03-01": [12_000, 2_400],
        "2030-03-02": [12_000, 2_000, 2_800],
        "2030-03-03": [12_000, 2_000],
        "2030-03-04": [12_000, 2_000],
    }
    assert [(line["label"], line["amount"]) for line in found["lines"] if not line["pool_id"]] == [
        ("Cleaning", 4_500),
        ("Tourist tax", 1_250),
    ]
    assert found["total"] == 76_950


async def test_a_hold_that_only_borrowed_a_quotes_hold_id_is_charged_its_own_prices(world: World) -> None:
    listing_id, nights = await stay(world.api)
    found = await quote(world.api, listing_id, nights[:1])  # one night, with the cleaning fee
    borrowed = str(hold_id_for_quote(UUID(found["id"])))  # anyone knowing the quote can derive it
    body = {**basket(listing_id, nights), "id": borrowed}  # three nights under the quote's hold id
    assert (await world.api.post("/v1/holds", body)).status_code == 201

    refused = await world.api.post(f"/v1/quotes/{found['id']}/hold")
    booking = (await world.api.post("/v1/bookings", {"hold_id": borrowed})).json()

    assert (refused.status_code, refused.json()["code"]) == (409, "hold_id_conflict")
    assert booking["payment"]["amount"] == 30_000  # the three nights' unit prices, not the quote's total


async def test_quotes_long_expired_are_purged_with_the_other_finished_records(world: World) -> None:
    listing_id, nights = await stay(world.api)
    old = await quote(world.api, listing_id, nights)
    world.clock.advance(31 * 24 * 3600)  # HOLDFAST_RETENTION_DAYS: 30
    fresh = await quote(world.api, listing_id, nights)

    purged = await world.container.use_cases.purge_old_records()()

    assert purged["quotes"] == 1
    assert (await world.api.get(f"/v1/quotes/{old['id']}")).status_code == 404
    assert (await world.api.get(f"/v1/quotes/{fresh['id']}")).status_code == 200


async def test_a_quote_retried_with_its_idempotency_key_is_the_same_quote(world: World) -> None:
    listing_id, nights = await stay(world.api)
    headers = {"Idempotency-Key": "quote-once"}

    first = await world.api.post("/v1/quotes", basket(listing_id, nights), headers=headers)
    again = await world.api.post("/v1/quotes", basket(listing_id, nights), headers=headers)
    other = await world.api.post("/v1/quotes", basket(listing_id, nights[:1]), headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_mismatch")
