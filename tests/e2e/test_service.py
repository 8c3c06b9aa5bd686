"""Health, correlation ids and the OpenAPI document."""

from __future__ import annotations

from domain.errors import DomainError
from interfaces.http.errors import ERROR_STATUS
from tests.e2e.conftest import World


async def test_health(world: World) -> None:
    live = await world.client.get("/health/live")
    ready = await world.client.get("/health/ready")
    assert live.status_code == 200
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert set(ready.json()["checks"].values()) == {"ok"}


async def test_correlation_id_is_echoed_or_made(world: World) -> None:
    given = await world.api.get("/v1/listings", headers={"X-Correlation-ID": "abc-123"})
    made = await world.api.get("/v1/listings")
    bad = await world.api.get("/v1/listings", headers={"X-Correlation-ID": "no spaces allowed"})
    assert given.headers["x-correlation-id"] == "abc-123"
    assert len(made.headers["x-correlation-id"]) == 32
    assert bad.headers["x-correlation-id"] != "no spaces allowed"


async def test_openapi_lists_every_route(world: World) -> None:
    spec = (await world.client.get("/schema/openapi.json")).json()
    paths = set(spec["paths"])
    assert {
        "/v1/listings",
        "/v1/listings/{listing_id}",
        "/v1/listings/{listing_id}/availability",
        "/v1/listings/{listing_id}/pools",
        "/v1/pools/{pool_id}",
        "/v1/holds",
        "/v1/holds/{hold_id}",
        "/v1/bookings",
        "/v1/bookings/{booking_id}",
        "/v1/bookings/{booking_id}/cancel",
        "/health/live",
        "/health/ready",
    } <= paths
    assert "ApiKey" in spec["components"]["securitySchemes"]


async def test_openapi_documents_the_problems_each_route_answers(world: World) -> None:
    spec = (await world.client.get("/schema/openapi.json")).json()
    place = spec["paths"]["/v1/holds"]["post"]["responses"]
    assert set(place) >= {"201", "400", "401", "404", "409", "503"}
    conflict = place["409"]
    assert "application/problem+json" in conflict["content"]
    for code in ("insufficient_inventory", "customer_limit_exceeded", "hold_id_conflict"):
        assert code in conflict["description"]
    documented = " ".join(
        response.get("description", "")
        for operations in spec["paths"].values()
        for operation in operations.values()
        for response in operation.get("responses", {}).values()
    )
    undocumented = {cls.code for cls in ERROR_STATUS if cls is not DomainError and f"`{cls.code}`" not in documented}
    assert undocumented == set()
