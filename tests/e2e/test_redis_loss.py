"""Losing the Redis engine's state under a running app: every call that needs the lost counters
answers 503 ``inventory_unavailable`` (never a wrong 200 or 404), readiness and /metrics say so
and name the repair, and after ``holdfast reconcile inventory --repair`` the answers are right
again. Production profile only: the embedded profile keeps its counters in the database."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from click.testing import CliRunner

from domain.reconciliation import ReconciliationScope
from interfaces.cli import main
from interfaces.http.startup import rebuild_lost_inventory
from tests.e2e.conftest import World
from tests.e2e.helpers import availability, book, hold, make_listing, pay

pytestmark = pytest.mark.parametrize("settings", ["production"], indirect=True)

REPAIR = "holdfast reconcile inventory --repair"


async def repair(world: World, monkeypatch: pytest.MonkeyPatch, *options: str) -> str:
    """``holdfast reconcile inventory --repair``, the command itself, on the app's Postgres and
    Redis (in a thread: it runs its own event loop, on the real clock)."""
    settings = world.container.settings()
    monkeypatch.setenv("HOLDFAST_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOLDFAST_REDIS_URL", str(settings.redis_url))
    monkeypatch.setenv("HOLDFAST_INVENTORY_ENGINE", "redis")
    command = ["reconcile", "inventory", "--repair", *options]
    result = await asyncio.to_thread(CliRunner().invoke, main, command)
    assert result.exit_code == 0, result.output
    return result.output


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "inventory_unavailable"
    assert int(response.headers["retry-after"]) > 0


async def lose_listing(world: World, listing_id: str) -> None:
    """Delete every key under the listing's hash tag, as losing its cluster slot would."""
    redis = world.container.gateways.redis()
    keys = [key async for key in redis.scan_iter(match=f"hf:{{{listing_id}}}:*")]
    assert keys
    await redis.delete(*keys)


async def test_a_flushed_redis_answers_503_until_repaired_then_the_right_counts(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 0), ("b", 3, 0)))
    a, b = pools["a"], pools["b"]
    active = (await hold(world.api, listing_id, {a: 2}, customer="c1")).json()["id"]
    sold = (await hold(world.api, listing_id, {a: 1, b: 1}, customer="c2")).json()["id"]
    await book(world, sold)
    await world.container.use_cases.journal_holds()()
    assert (await world.client.get("/health/ready")).status_code == 200

    await world.container.gateways.redis().flushdb()

    assert_unavailable(await world.api.get(f"/v1/listings/{listing_id}/availability"))
    assert_unavailable(await world.api.get(f"/v1/pools/{a}"))
    retried = {"listing_id": listing_id, "customer_ref": "c3", "lines": [{"pool_id": a, "quantity": 1}]}
    assert_unavailable(await world.api.post("/v1/holds", retried, headers={"Idempotency-Key": "k-1"}))
    assert_unavailable(await world.api.get(f"/v1/holds/{active}"))
    assert_unavailable(await world.api.delete(f"/v1/holds/{active}"))
    assert_unavailable(await world.api.post("/v1/bookings", {"hold_id": active}))
    assert_unavailable(await world.api.patch(f"/v1/pools/{a}", {"capacity": 6}))
    # A new pool now would make the lost listing look whole again: refused too.
    new_pool = {"code": "c", "capacity": 1, "unit_price": 0, "currency": "EUR"}
    assert_unavailable(await world.api.post(f"/v1/listings/{listing_id}/pools", new_pool))
    ready = await world.client.get("/health/ready")
    assert ready.status_code == 503
    assert REPAIR in ready.json()["checks"]["inventory"]
    assert "holdfast_inventory_state_missing 1.0" in (await world.client.get("/metrics")).text

    assert "[repaired]" in await repair(world, monkeypatch)

    assert (await world.client.get("/health/ready")).status_code == 200
    assert "holdfast_inventory_state_missing 0.0" in (await world.client.get("/metrics")).text
    assert await availability(world.api, listing_id) == {"a": (2, 1, 2), "b": (0, 1, 2)}
    assert (await world.api.get(f"/v1/holds/{active}")).json()["status"] == "active"
    assert (await world.api.delete(f"/v1/holds/{active}")).json()["status"] == "released"
    # The 503 was not kept for the key: the client's retry now runs.
    assert (await world.api.post("/v1/holds", retried, headers={"Idempotency-Key": "k-1"})).status_code == 201
    assert (await hold(world.api, listing_id, {a: 3})).status_code == 201
    assert await availability(world.api, listing_id) == {"a": (4, 1, 0), "b": (0, 1, 2)}


async def test_losing_one_listing_refuses_only_that_listing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    lost_id, lost_pools = await make_listing(world.api, (("a", 5, 0),))
    kept_id, kept_pools = await make_listing(world.api, (("a", 5, 0),))
    active = (await hold(world.api, lost_id, {lost_pools["a"]: 2})).json()["id"]
    await world.container.use_cases.journal_holds()()

    await lose_listing(world, lost_id)

    assert_unavailable(await world.api.get(f"/v1/listings/{lost_id}/availability"))
    assert_unavailable(await hold(world.api, lost_id, {lost_pools["a"]: 1}))
    assert_unavailable(await world.api.delete(f"/v1/holds/{active}"))
    assert_unavailable(await world.api.post("/v1/bookings", {"hold_id": active}))
    assert_unavailable(await world.api.patch(f"/v1/pools/{lost_pools['a']}", {"capacity": 6}))
    assert (await hold(world.api, kept_id, {kept_pools["a"]: 1})).status_code == 201
    assert await availability(world.api, kept_id) == {"a": (1, 0, 4)}
    rejected = 'holdfast_holds_rejected_total{reason="inventory_unavailable"} 1.0'
    assert rejected in (await world.client.get("/metrics")).text

    assert "[repaired]" in await repair(world, monkeypatch, "--listing", lost_id)

    assert await availability(world.api, lost_id) == {"a": (2, 0, 3)}
    assert (await world.api.delete(f"/v1/holds/{active}")).json()["status"] == "released"


async def test_a_fresh_redis_with_an_empty_catalogue_is_ready_and_unknown_ids_are_404(world: World) -> None:
    """Nothing counted yet is not a loss: there was nothing to lose."""
    assert (await world.client.get("/health/ready")).status_code == 200
    assert (await world.api.get(f"/v1/holds/{uuid4()}")).status_code == 404
    listing_id, pools = await make_listing(world.api)
    assert (await world.client.get("/health/ready")).status_code == 200
    assert (await world.api.get(f"/v1/holds/{uuid4()}")).status_code == 404
    assert (await hold(world.api, listing_id, {pools["a"]: 1})).status_code == 201


async def test_unknown_pools_and_holds_are_still_404_while_the_state_is_whole(world: World) -> None:
    listing_id, _ = await make_listing(world.api)
    missing = await hold(world.api, listing_id, {str(uuid4()): 1})
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert (await world.api.delete(f"/v1/holds/{uuid4()}")).status_code == 404


async def test_a_starting_process_rebuilds_an_emptied_redis_from_postgres(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 5, 0), ("b", 3, 0)))
    a, b = pools["a"], pools["b"]
    active = (await hold(world.api, listing_id, {a: 2}, customer="c1")).json()["id"]
    await book(world, (await hold(world.api, listing_id, {a: 1, b: 1}, customer="c2")).json()["id"])
    await world.container.use_cases.journal_holds()()
    await world.container.gateways.redis().flushdb()
    assert (await world.client.get("/health/ready")).status_code == 503

    # Two processes starting together: both find the state missing, each listing is rebuilt once.
    await asyncio.gather(rebuild_lost_inventory(world.container), rebuild_lost_inventory(world.container))

    assert (await world.client.get("/health/ready")).status_code == 200
    assert await availability(world.api, listing_id) == {"a": (2, 1, 2), "b": (0, 1, 2)}
    assert (await world.api.get(f"/v1/holds/{active}")).json()["status"] == "active"
    assert (await hold(world.api, listing_id, {a: 2})).status_code == 201


async def test_the_unattended_rebuild_never_overwrites_a_listing_the_engine_counts(world: World) -> None:
    """A Redis that lost one listing only is left to the operator; and a process that found the
    state missing but reaches a listing after another process rebuilt it (and new holds came in)
    leaves that listing alone, rebuilding only what is still lost."""
    rebuilt_id, rebuilt = await make_listing(world.api, (("a", 5, 0),))
    lost_id, lost = await make_listing(world.api, (("a", 5, 0),))
    assert (await hold(world.api, rebuilt_id, {rebuilt["a"]: 2})).status_code == 201
    redis = world.container.gateways.redis()
    await redis.hincrby(f"hf:{{{rebuilt_id}}}:pools", f"{rebuilt['a']}:held", 1)  # the record lags behind
    await lose_listing(world, lost_id)

    await rebuild_lost_inventory(world.container)  # the engine has state: nothing is done
    assert await availability(world.api, rebuilt_id) == {"a": (3, 0, 2)}
    assert_unavailable(await world.api.get(f"/v1/listings/{lost_id}/availability"))

    late = await world.container.use_cases.reconcile_inventory()(
        ReconciliationScope(), _no_progress, repair=True, lost_only=True
    )
    assert {(f.subject, f.repaired) for f in late} == {(f"pool:{rebuilt['a']}", False), (f"pool:{lost['a']}", True)}
    assert await availability(world.api, rebuilt_id) == {"a": (3, 0, 2)}
    assert await availability(world.api, lost_id) == {"a": (0, 0, 5)}


async def _no_progress(checked: int, total: int | None) -> None:
    return None


async def lost_checkouts(world: World) -> tuple[str, list[dict[str, Any]]]:
    """Two checkouts whose holds Redis lost before the journal copied them; after the rebuild
    the engine no longer knows those holds (lost holds count as expired)."""
    listing_id, pools = await make_listing(world.api, (("a", 5, 1000),))
    bookings = []
    for customer in ("c1", "c2"):
        placed = await hold(world.api, listing_id, {pools["a"]: 1}, customer=customer)
        booked = await world.api.post("/v1/bookings", {"hold_id": placed.json()["id"]})
        assert (booked.status_code, booked.json()["status"]) == (201, "pending_payment"), booked.text
        bookings.append(booked.json())
    await world.container.gateways.redis().flushdb()
    await rebuild_lost_inventory(world.container)
    assert (await world.client.get("/health/ready")).status_code == 200
    return listing_id, bookings


async def test_unpaid_bookings_whose_holds_were_lost_still_expire(world: World) -> None:
    """One such booking used to fail every round of the expiry sweep (NotFoundError on releasing
    its hold), so no unpaid booking of any tenant expired any more."""
    listing_id, bookings = await lost_checkouts(world)
    world.clock.advance(601)

    expired = await world.container.use_cases.expire_bookings()()

    assert sorted(str(b.id) for b in expired) == sorted(b["id"] for b in bookings)
    for booking in bookings:
        assert (await world.api.get(f"/v1/bookings/{booking['id']}")).json()["status"] == "expired"
    assert await availability(world.api, listing_id) == {"a": (0, 0, 5)}


async def test_an_unpaid_booking_whose_hold_was_lost_can_be_cancelled(world: World) -> None:
    listing_id, bookings = await lost_checkouts(world)

    cancelled = await world.api.post(f"/v1/bookings/{bookings[0]['id']}/cancel")

    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled"), cancelled.text
    assert await availability(world.api, listing_id) == {"a": (0, 0, 5)}


async def test_a_payment_for_a_booking_whose_hold_was_lost_is_refunded_not_stuck(world: World) -> None:
    """The units cannot be told apart from free ones any more: the payment is handled as one
    that came after its hold expired and found no hold to take again, so it is given back."""
    listing_id, bookings = await lost_checkouts(world)

    await pay(world, bookings[0])

    seen = (await world.api.get(f"/v1/bookings/{bookings[0]['id']}")).json()
    assert (seen["status"], seen["payment_status"]) == ("expired", "refunded"), seen
    assert seen["payment"]["captured"] == seen["payment"]["refunded"] == 1000
    assert await availability(world.api, listing_id) == {"a": (0, 0, 5)}
