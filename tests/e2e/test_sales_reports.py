"""GET /v1/reports/sales on both profiles: per listing and UTC day, units, gross, refunds, fees
and net, exactly as the ledger has them; CSV export; owners see their own listings only."""

from __future__ import annotations

import csv
import io
from typing import Any

from domain.roles import Role
from tests.e2e.conftest import Api, World
from tests.e2e.helpers import book, hold, make_listing
from tests.e2e.keys import key_for

DAY = 24 * 3600
REPORT = "/v1/reports/sales?from=2030-01-01&to=2030-01-02"


async def _sell(world: World, listing_id: str, pool: str, quantity: int) -> dict[str, Any]:
    held = await hold(world.api, listing_id, {pool: quantity})
    assert held.status_code == 201, held.text
    return await book(world, held.json()["id"])


async def _fees(api: Api, booking_id: str) -> int:
    [totals] = (await api.get(f"/v1/ledger/bookings/{booking_id}")).json()["totals"]
    return int(totals["fees"])


async def _two_days_of_sales(world: World) -> dict[str, Any]:
    """Day 1 (2030-01-01): 2 units of A, 1 of B. Day 2: 1000 of A's first booking refunded, 1 more of A."""
    a, a_pools = await make_listing(world.api, (("x", 10, 2500),), name="A")
    b, b_pools = await make_listing(world.api, (("y", 10, 4000),), name="B")
    first = await _sell(world, a, a_pools["x"], 2)
    other = await _sell(world, b, b_pools["y"], 1)
    world.clock.advance(DAY)
    refund = await world.api.post(f"/v1/bookings/{first['id']}/refunds", {"amount": 1000})
    assert refund.status_code in (200, 201), refund.text
    later = await _sell(world, a, a_pools["x"], 1)
    return {"a": a, "b": b, "first": first, "other": other, "later": later}


async def test_the_report_matches_the_ledger_exactly(world: World) -> None:
    sold = await _two_days_of_sales(world)
    fees = {name: await _fees(world.api, sold[name]["id"]) for name in ("first", "other", "later")}

    report = await world.api.get(REPORT)
    accounts = {a["account"]: a["balance"] for a in (await world.api.get("/v1/ledger/accounts")).json()["accounts"]}

    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["first_day"], body["last_day"]) == ("2030-01-01", "2030-01-02")
    rows = {(r["day"], r["listing_id"]): r for r in body["items"]}
    a, b = sold["a"], sold["b"]
    assert rows == {
        ("2030-01-01", a): _row(a, "2030-01-01", 2, 5000, 0, fees["first"]),
        ("2030-01-01", b): _row(b, "2030-01-01", 1, 4000, 0, fees["other"]),
        ("2030-01-02", a): _row(a, "2030-01-02", 1, 2500, 1000, fees["later"]),
    }
    assert [r["day"] for r in body["items"]] == sorted(r["day"] for r in body["items"])
    assert sum(r["gross"] for r in body["items"]) == accounts["revenue"] == 11_500
    assert sum(r["refunds"] for r in body["items"]) == accounts["refunds"] == 1000
    assert sum(r["fees"] for r in body["items"]) == accounts["stripe_fees"] > 0
    one_day = (await world.api.get("/v1/reports/sales?from=2030-01-02&to=2030-01-02")).json()["items"]
    assert one_day == [rows[("2030-01-02", a)]]
    only_b = (await world.api.get(f"{REPORT}&listing_id={b}")).json()["items"]
    assert only_b == [rows[("2030-01-01", b)]]


def _row(listing: str, day: str, units: int, gross: int, refunds: int, fees: int) -> dict[str, Any]:
    net = gross - refunds - fees
    return {"listing_id": listing, "day": day, "currency": "EUR", "units": units, "gross": gross,
            "refunds": refunds, "fees": fees, "net": net}  # fmt: skip


async def test_csv_export_has_a_header_and_the_same_rows(world: World) -> None:
    await _two_days_of_sales(world)

    as_json = (await world.api.get(REPORT)).json()["items"]
    as_csv = await world.api.get(REPORT + "&format=csv")

    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == 'attachment; filename="sales-2030-01-01-2030-01-02.csv"'
    assert as_csv.text.endswith("\r\n")
    parsed = list(csv.DictReader(io.StringIO(as_csv.text)))
    header = as_csv.text.split("\r\n", 1)[0]
    assert header == "day,listing_id,currency,units,gross,refunds,fees,net"
    assert parsed == [{k: str(v) for k, v in row.items()} for row in as_json]


async def test_an_owner_sees_its_own_listings_accountants_and_admins_see_all(world: World) -> None:
    sold = await _two_days_of_sales(world)
    owner = await key_for(world, world.api, Role.OWNER)
    accountant = await key_for(world, world.api, Role.ACCOUNTANT)
    owner_id = (await world.container.use_cases.authenticate()(owner.key)).subject
    assert (await world.api.client.put(
        f"/v1/listings/{sold['b']}/owners/{owner_id}", headers={"X-API-Key": world.api.key}
    )).status_code == 200  # fmt: skip

    mine = (await owner.get(REPORT)).json()["items"]
    theirs = await owner.get(f"{REPORT}&listing_id={sold['a']}")
    everything = (await accountant.get(REPORT)).json()["items"]

    assert {r["listing_id"] for r in mine} == {sold["b"]}
    assert (theirs.status_code, theirs.json()["code"]) == (404, "not_found")
    assert everything == (await world.api.get(REPORT)).json()["items"]
    assert len(everything) == 3
    nothing = await key_for(world, world.api, Role.OWNER)
    assert (await nothing.get(REPORT)).json()["items"] == []


async def test_another_tenants_listing_is_404_and_their_sales_never_show(world: World) -> None:
    sold = await _two_days_of_sales(world)

    foreign = await world.other.get(f"{REPORT}&listing_id={sold['a']}")
    theirs = await world.other.get(REPORT)

    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
    assert theirs.json()["items"] == []


async def test_bad_ranges_and_formats_are_refused(world: World) -> None:
    answers = [
        await world.api.get("/v1/reports/sales?from=2030-01-02&to=2030-01-01"),
        await world.api.get("/v1/reports/sales?from=2029-01-01&to=2030-01-02"),
        await world.api.get("/v1/reports/sales?from=yesterday"),
        await world.api.get("/v1/reports/sales?format=xml"),
    ]

    assert [a.status_code for a in answers] == [400] * 4
    assert {a.json()["code"] for a in answers} == {"validation_failed"}


async def test_by_default_the_report_covers_the_30_days_to_today(world: World) -> None:
    report = (await world.api.get("/v1/reports/sales")).json()

    assert (report["first_day"], report["last_day"], report["items"]) == ("2029-12-03", "2030-01-01", [])
