"""Prometheus metrics at /metrics: business counters, HTTP metrics per route template, no key."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from prometheus_client.parser import text_string_to_metric_families

from application.ports.jobs import DeadLetter
from tests.e2e.conftest import World
from tests.e2e.helpers import book, hold, make_listing

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(world: World) -> Samples:
    """Every sample of /metrics, asked for without an API key, by name and labels."""
    response = await world.client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    families = text_string_to_metric_families(response.text)
    return {(s.name, frozenset(s.labels.items())): s.value for family in families for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def label_values(samples: Samples, prefix: str, label: str) -> set[str]:
    return {dict(labels)[label] for name, labels in samples if name.startswith(prefix) and label in dict(labels)}


async def test_holds_and_bookings_are_counted_with_their_labels(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("free", 3, 0), ("paid", 3, 1000)))
    free = await hold(world.api, listing_id, {pools["free"]: 2})
    short = await hold(world.api, listing_id, {pools["free"]: 5})
    paid = await hold(world.api, listing_id, {pools["paid"]: 1})
    assert (free.status_code, short.status_code, paid.status_code) == (201, 409, 201)

    assert (await book(world, free.json()["id"]))["status"] == "confirmed"
    assert (await book(world, paid.json()["id"]))["status"] == "confirmed"  # checkout, then the webhook

    samples = await scrape(world)
    assert value(samples, "holdfast_holds_placed_total") == 2
    assert value(samples, "holdfast_holds_rejected_total", reason="insufficient_inventory") == 1
    assert label_values(samples, "holdfast_holds_rejected_total", "reason") == {"insufficient_inventory"}
    assert value(samples, "holdfast_booking_transitions_total", to_status="confirmed") == 2
    assert value(samples, "holdfast_booking_transitions_total", to_status="pending_payment") == 1
    assert value(samples, "holdfast_webhook_events_handled_total", outcome="processed") == 1


async def test_a_customer_over_the_limit_is_a_rejection_of_its_own(world: World) -> None:
    listing_id, pools = await make_listing(world.api, (("a", 10, 1000),), per_customer_limit=2)
    assert (await hold(world.api, listing_id, {pools["a"]: 3})).status_code == 409

    samples = await scrape(world)
    assert value(samples, "holdfast_holds_rejected_total", reason="customer_limit_exceeded") == 1
    assert value(samples, "holdfast_holds_placed_total") == 0


async def test_http_metrics_are_labelled_by_route_template_never_by_id(world: World) -> None:
    listing_id, pools = await make_listing(world.api)
    hold_ids = [(await hold(world.api, listing_id, {pools["a"]: 1}, customer=c)).json()["id"] for c in "xy"]
    for hold_id in hold_ids:
        assert (await world.api.get(f"/v1/holds/{hold_id}")).status_code == 200
    assert (await world.api.get(f"/v1/holds/{listing_id}")).status_code == 404

    samples = await scrape(world)
    requests = "holdfast_http_requests_total"
    assert value(samples, requests, method="GET", route="/v1/holds/{hold_id}", status="200") == 2
    assert value(samples, requests, method="GET", route="/v1/holds/{hold_id}", status="404") == 1
    assert value(samples, requests, method="POST", route="/v1/holds", status="201") == 2
    assert value(samples, "holdfast_http_request_duration_seconds_count", **_get_hold_200()) == 2
    routes = label_values(samples, "holdfast_http_", "route")
    assert not [route for route in routes if any(ident in route for ident in [*hold_ids, listing_id])]
    assert value(samples, "holdfast_http_request_errors_total", **_get_hold_200()) == 0


def _get_hold_200() -> dict[str, Any]:
    return {"method": "GET", "route": "/v1/holds/{hold_id}", "status": "200"}


async def test_an_error_raised_by_middleware_is_counted_with_the_status_it_is_answered(world: World) -> None:
    listing_id, pools = await make_listing(world.api)
    body = {"listing_id": listing_id, "customer_ref": "c", "lines": [{"pool_id": pools["a"], "quantity": 1}]}

    # Refused by the /v1 router's idempotency middleware, outside the route's exception handling.
    response = await world.api.post("/v1/holds", body, headers={"Idempotency-Key": "k" * 256})

    assert response.json()["code"] == "invalid_idempotency_key"
    samples = await scrape(world)
    assert value(samples, "holdfast_http_requests_total", method="POST", route="/v1/holds", status="400") == 1
    assert value(samples, "holdfast_http_requests_total", method="POST", route="/v1/holds", status="200") == 0


async def test_metrics_need_no_api_key_and_stay_out_of_the_api_document(world: World) -> None:
    response = await world.client.get("/metrics")  # no X-API-Key

    assert response.status_code == 200
    assert "holdfast_holds_placed_total 0.0" in response.text  # a fresh registry for every app
    schema = (await world.client.get("/schema/openapi.json")).json()
    assert "/metrics" not in schema["paths"]


async def test_the_job_queue_and_its_dead_letters_are_read_at_each_scrape(world: World) -> None:
    before = await scrape(world)
    assert ("holdfast_job_queue_depth", frozenset({("state", "queued")})) in before  # read, not merely absent
    assert value(before, "holdfast_job_queue_depth", state="queued") == 0
    assert value(before, "holdfast_job_dead_letters") == 0

    await world.container.gateways.jobs().enqueue("expire_holds")
    letter = DeadLetter(uuid4(), "purge_idempotency", {}, None, "boom", 1, world.clock.now())
    await world.container.gateways.dead_letters().add(letter)

    after = await scrape(world)
    assert value(after, "holdfast_job_queue_depth", state="queued") == 1
    assert value(after, "holdfast_job_dead_letters") == 1
