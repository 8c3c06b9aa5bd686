"""A listing's price plan through the API: set whole, read back, versioned, audited; bad
plans (overlapping seasons, bad percents, another currency, foreign pools) refused with a
stable code and changing nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import World
from tests.e2e.helpers import make_listing
from tests.e2e.test_quotes import PLAN, put, stay


async def test_a_plan_is_set_whole_read_back_versioned_and_audited(world: World) -> None:
    listing_id, _ = await stay(world.api, plan=None)
    path = f"/v1/listings/{listing_id}/pricing"
    empty = (await world.api.get(path)).json()
    assert (empty["version"], empty["currency"], empty["seasons"], empty["fees"]) == (0, None, [], [])

    first = await put(world.api, path, PLAN)
    second = await put(world.api, path, {**PLAN, "fees": []})

    assert first.status_code == second.status_code == 200, first.text
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    shown = (await world.api.get(path)).json()
    assert shown == second.json()
    assert shown["weekday_rates"] == [{"name": "weekend", "weekdays": ["fri", "sat"], "adjust_bp": 2_500}]
    assert shown["seasons"][0] == {**PLAN["seasons"][0], "pool_ids": []}
    assert (shown["fees"], shown["taxes"][1]["inclusive"], shown["updated_at"]) == ([], True, "2030-01-01T12:00:00Z")
    rows = (await world.api.get("/v1/admin/audit-logs", params={"entity_type": "listing"})).json()["items"]
    changes = [row for row in rows if row["action"] == "pricing.set"]
    assert [(row["before"] or {}).get("version") for row in changes] == [None, 1]
    assert [row["after"]["version"] for row in changes] == [1, 2]


async def test_a_season_may_name_the_listings_own_pools(world: World) -> None:
    listing_id, nights = await stay(world.api, plan=None)
    season = {"name": "suite", "starts_on": "2030-01-04", "ends_on": "2030-01-04", "unit_price": 1, "pool_ids": nights}

    response = await put(world.api, f"/v1/listings/{listing_id}/pricing", {"currency": "EUR", "seasons": [season]})

    assert response.status_code == 200, response.text
    assert response.json()["seasons"][0]["pool_ids"] == nights


def _overlapping(plan: dict[str, Any]) -> dict[str, Any]:
    late = {"name": "late", "starts_on": "2030-01-31", "ends_on": "2030-02-10", "unit_price": 1}
    return {**plan, "seasons": [*plan["seasons"], late]}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (_overlapping, "seasons_overlap"),
        (lambda p: {**p, "stay_discounts": [{"min_nights": 7, "percent_bp": 10_001}]}, "validation_failed"),
        (lambda p: {**p, "taxes": [{"name": "t", "kind": "percent", "value": -5}]}, "validation_failed"),
        (
            lambda p: {**p, "weekday_rates": [{"name": "w", "weekdays": ["sat"], "adjust_bp": -20_000}]},
            "validation_failed",
        ),
        (lambda p: {**p, "fees": [{"name": "f", "kind": "percent", "value": 500, "per": "unit"}]}, "validation_failed"),
        (lambda p: {**p, "currency": "USD"}, "validation_failed"),
        (lambda p: {**p, "currency": "eur"}, "validation_failed"),
        (lambda p: {**p, "seasons": [{**p["seasons"][0], "pool_ids": [p["foreign_pool"]]}]}, "validation_failed"),
        (lambda p: {**p, "version": 3}, "validation_failed"),
    ],
)
async def test_a_bad_plan_is_refused_and_changes_nothing(world: World, change: Any, code: str) -> None:
    listing_id, _ = await stay(world.api)
    _, foreign = await make_listing(world.api)
    path = f"/v1/listings/{listing_id}/pricing"
    before = (await world.api.get(path)).json()
    body = change({**PLAN, "foreign_pool": foreign["a"]})
    body.pop("foreign_pool", None)

    response = await put(world.api, path, body)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert (await world.api.get(path)).json() == before


async def test_another_tenants_listing_has_no_plan_to_read_or_set(world: World) -> None:
    listing_id, _ = await stay(world.api)
    path = f"/v1/listings/{listing_id}/pricing"

    assert (await world.other.get(path)).status_code == 404
    assert (await put(world.other, path, PLAN)).status_code == 404
    assert (await world.api.get(path)).json()["version"] == 1
