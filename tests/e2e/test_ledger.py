"""The ledger routes: a tenant's balances, and one booking's money, never another tenant's."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from domain.ledger import booking_confirmed, fee_charged, payment_captured, refund_recorded
from domain.money import Money
from tests.e2e.conftest import World
from tests.e2e.helpers import hold, make_listing

AT = datetime(2030, 1, 1, 12, tzinfo=UTC)


async def _free_booking(world: World) -> str:
    """A booking that needed no payment, so nothing was posted for it."""
    listing_id, pools = await make_listing(world.api, (("a", 5, 0),))
    hold_id = (await hold(world.api, listing_id, {pools["a"]: 1})).json()["id"]
    response = await world.api.post("/v1/bookings", {"hold_id": hold_id})
    assert response.status_code == 201, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


async def _post_for_acme(world: World, booking_id: str, intent: str) -> None:
    """Money movements as the checkout posts them (it decides when; the ledger decides how)."""
    async with world.container.gateways.uow() as uow:
        tenant = await uow.tenants.find_by_name("acme")
        assert tenant is not None
        booking = UUID(booking_id)
        postings = [
            payment_captured(tenant.id, booking, intent, Money(10_000, "EUR"), at=AT),
            booking_confirmed(tenant.id, booking, intent, Money(10_000, "EUR"), at=AT),
            fee_charged(tenant.id, booking, intent, Money(320, "EUR"), at=AT.replace(hour=13)),
            refund_recorded(tenant.id, booking, f"re_{intent}", Money(4_000, "EUR"), at=AT.replace(hour=14)),
        ]
        for tx in postings:
            assert await uow.ledger.append(tx)
        await uow.commit()


async def test_a_booking_without_payments_has_an_empty_view(world: World) -> None:
    booking_id = await _free_booking(world)

    response = await world.api.get(f"/v1/ledger/bookings/{booking_id}")

    assert response.status_code == 200, response.text
    assert response.json() == {"booking_id": booking_id, "totals": [], "transactions": []}
    accounts = await world.api.get("/v1/ledger/accounts")
    assert accounts.status_code == 200
    assert accounts.json() == {"accounts": []}


async def test_a_bookings_view_shows_its_entries_and_totals(world: World) -> None:
    booking_id = await _free_booking(world)
    await _post_for_acme(world, booking_id, "pi_e2e")

    view = (await world.api.get(f"/v1/ledger/bookings/{booking_id}")).json()

    assert view["totals"] == [{"currency": "EUR", "captured": 10_000, "refunded": 4_000, "fees": 320, "net": 6_000}]
    assert [(tx["kind"], tx["external_reference"]) for tx in view["transactions"]] == [
        ("payment_captured", "pi_e2e:captured"),
        ("booking_confirmed", "pi_e2e:confirmed"),
        ("fee_charged", "pi_e2e:fee"),
        ("refund_recorded", "re_pi_e2e"),
    ]
    captured = view["transactions"][0]
    assert captured["reverses"] is None
    assert captured["created_at"].startswith("2030-01-01T12:00:00")
    assert captured["entries"] == [
        {"account": "stripe_clearing", "side": "debit", "amount": 10_000, "currency": "EUR"},
        {"account": "payments_in_flight", "side": "credit", "amount": 10_000, "currency": "EUR"},
    ]


async def test_accounts_show_the_tenants_balances_on_their_normal_sides(world: World) -> None:
    await _post_for_acme(world, await _free_booking(world), "pi_one")
    await _post_for_acme(world, await _free_booking(world), "pi_two")

    accounts = {a["account"]: a for a in (await world.api.get("/v1/ledger/accounts")).json()["accounts"]}
    others = (await world.other.get("/v1/ledger/accounts")).json()

    balances = {name: (a["normal_side"], a["balance"]) for name, a in accounts.items()}
    assert balances == {
        "stripe_clearing": ("debit", 2 * (10_000 - 320 - 4_000)),
        "payments_in_flight": ("credit", 0),
        "revenue": ("credit", 20_000),
        "refunds": ("debit", 8_000),
        "stripe_fees": ("debit", 640),
    }
    in_flight = accounts["payments_in_flight"]
    assert (in_flight["debits"], in_flight["credits"]) == (20_000, 20_000)
    assert {a["currency"] for a in accounts.values()} == {"EUR"}
    assert others == {"accounts": []}


async def test_another_tenants_or_an_unknown_booking_is_not_found(world: World) -> None:
    booking_id = await _free_booking(world)
    await _post_for_acme(world, booking_id, "pi_private")

    foreign = await world.other.get(f"/v1/ledger/bookings/{booking_id}")
    unknown = await world.api.get(f"/v1/ledger/bookings/{uuid4()}")
    malformed = await world.api.get("/v1/ledger/bookings/not-a-uuid")

    assert foreign.status_code == unknown.status_code == 404
    assert foreign.headers["content-type"].startswith("application/problem+json")
    assert foreign.json()["code"] == unknown.json()["code"] == "not_found"
    assert malformed.status_code == 404


async def test_the_ledger_routes_need_a_key_and_are_documented(world: World) -> None:
    assert (await world.client.get("/v1/ledger/accounts")).status_code == 401
    spec = (await world.client.get("/schema/openapi.json")).json()
    booking = spec["paths"]["/v1/ledger/bookings/{booking_id}"]["get"]["responses"]
    assert "`not_found`" in booking["404"]["description"]
    assert {"200", "401", "503"} <= set(spec["paths"]["/v1/ledger/accounts"]["get"]["responses"])
