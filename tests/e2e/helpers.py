"""Small builders the e2e tests share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.e2e.conftest import Api


async def make_listing(
    api: Api,
    pools: tuple[tuple[str, int, int], ...] = (("a", 5, 1000),),
    **listing: Any,
) -> tuple[str, dict[str, str]]:
    """A show with pools given as (code, capacity, unit price in cents); returns ids."""
    body = {"kind": "event_show", "name": "The Show", **listing}
    created = await api.post("/v1/listings", body)
    assert created.status_code == 201, created.text
    listing_id = created.json()["id"]
    pool_ids = {}
    for code, capacity, price in pools:
        response = await api.post(
            f"/v1/listings/{listing_id}/pools",
            {"code": code, "capacity": capacity, "unit_price": price, "currency": "EUR"},
        )
        assert response.status_code == 201, response.text
        pool_ids[code] = response.json()["id"]
    return listing_id, pool_ids


async def hold(api: Api, listing_id: str, lines: dict[str, int], customer: str = "cust-1", **extra: Any) -> Any:
    body = {
        "listing_id": listing_id,
        "customer_ref": customer,
        "lines": [{"pool_id": pool, "quantity": qty} for pool, qty in lines.items()],
        **extra,
    }
    return await api.post("/v1/holds", body)


async def availability(api: Api, listing_id: str) -> dict[str, tuple[int, int, int]]:
    """code -> (held, sold, available)."""
    response = await api.get(f"/v1/listings/{listing_id}/availability")
    assert response.status_code == 200, response.text
    return {p["code"]: (p["held"], p["sold"], p["available"]) for p in response.json()["pools"]}


async def deliver(world: Any, deliveries: Any) -> None:
    """POST each signed webhook to the app, as Stripe would."""
    for delivery in deliveries:
        response = await world.client.post("/v1/webhooks/stripe", content=delivery.payload, headers=delivery.headers)
        assert response.status_code == 200, response.text


async def pay(world: Any, booking: dict[str, Any], outcome: str = "succeeded") -> None:
    """Play the customer paying the booking's PaymentIntent, then deliver Stripe's webhook."""
    await deliver(world, await world.container.gateways.payments().pay(booking["payment"]["intent_id"], outcome))


async def book(world: Any, hold_id: str, api: Api | None = None) -> dict[str, Any]:
    """Book a hold and, if it has a price, pay for it: returns the booking as it ends up."""
    api = api or world.api
    response = await api.post("/v1/bookings", {"hold_id": hold_id})
    assert response.status_code in (200, 201), response.text
    booking: dict[str, Any] = response.json()
    if booking["status"] == "pending_payment":
        await pay(world, booking)
        booking = (await api.get(f"/v1/bookings/{booking['id']}")).json()
    return booking


@contextmanager
def database_statements(container: Any) -> Iterator[list[str]]:
    """Every statement the container's database engines run (SQLite's writer thread's and, once
    used, the sql engine's autocommit pool on Postgres too),
    every connection they check out (``<checkout>``) and every commit (``<commit>``): what a
    request costs the database."""
    seen: list[str] = []
    database = container.gateways.database()
    engines = [database.engine.sync_engine, *([database.writer_engine] if database.writer_engine else [])]
    calls = getattr(container.gateways.inventory(), "single_statements", None)  # sql on Postgres
    if calls is not None and calls.engine is not None:
        engines.append(calls.engine.sync_engine)

    def on_statement(*args: Any) -> None:
        seen.append(str(args[2]))

    def on_checkout(*_: Any) -> None:
        seen.append("<checkout>")

    def on_commit(*_: Any) -> None:
        seen.append("<commit>")

    for engine in engines:
        event.listen(engine, "before_cursor_execute", on_statement)
        event.listen(engine, "commit", on_commit)
        event.listen(engine.pool, "checkout", on_checkout)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", on_statement)
            event.remove(engine, "commit", on_commit)
            event.remove(engine.pool, "checkout", on_checkout)
