"""Hypothesis: ``GET /v1/listings`` with random filters and sorts, walked page by page, returns
exactly what a plain Python filter over the same random listings returns, in the same order,
on both profiles (SQLite, and Postgres with its trigram index and "C" collation).

Each example is a tenant of its own (the ``world`` app is shared by the examples), so the
examples never see each other's listings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.use_cases.register_tenant import RegisterTenant
from tests.e2e.conftest import Api, World

LETTERS = "aAbBé%_ "
BASE = datetime(2027, 1, 1, tzinfo=UTC)
AIRPORTS = ("LIS", "AMS", "OPO")
POOLS = ("none", "empty", "open", "archived")  # what units a listing has left


@dataclass
class Made:
    id: UUID
    kind: str
    name: str
    words: tuple[str, ...]  # what q matches besides the name
    starts_at: datetime | None
    created_at: datetime
    pools: str
    archived: bool


sometimes = st.integers(0, 3).map(lambda n: n == 0)  # a filter is set in a quarter of the queries
text = st.text(LETTERS, min_size=1, max_size=6).filter(lambda t: t.strip() != "")
moments = st.none() | st.integers(0, 5).map(lambda days: BASE + timedelta(days=days))


@st.composite
def listings(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(("event_show", "flight", "stay_property")))
    body: dict[str, Any] = {"kind": kind, "name": draw(text)}
    if draw(st.booleans()):
        if kind == "event_show":
            body["details"] = {"venue": draw(text)}
        elif kind == "flight":
            origin, destination = draw(st.permutations(AIRPORTS))[:2]
            departs = BASE + timedelta(days=draw(st.integers(0, 5)))
            body["details"] = {
                "origin": origin,
                "destination": destination,
                "flight_number": draw(st.sampled_from(("HF1", "AB22"))),
                "departs_at": departs.isoformat(),
                "arrives_at": (departs + timedelta(hours=2)).isoformat(),
            }
        else:
            body["details"] = {"address": draw(text), "check_in": "15:00", "check_out": "11:00", "time_zone": "UTC"}
    starts = draw(moments)
    if starts is not None:
        body["starts_at"] = starts.isoformat()
    return {"body": body, "pools": draw(st.sampled_from(POOLS)), "archived": draw(sometimes)}


@st.composite
def queries(draw: Any) -> dict[str, Any]:
    query: dict[str, Any] = {
        "limit": draw(st.integers(1, 2)),
        "sort": draw(st.sampled_from(("created_at", "starts_at", "name"))),
    }
    if draw(sometimes):
        query["kind"] = draw(st.sampled_from(("event_show", "flight", "stay_property")))
    if draw(sometimes):
        query["q"] = draw(st.sampled_from(("a", "A", "é", "%", "_", "b a", "lis", "hf1", "-am")))
    start, end = (draw(moments), draw(moments)) if draw(sometimes) else (None, None)
    if start is not None:
        query["from"] = start.isoformat()
    if end is not None and (start is None or end > start):
        query["to"] = end.isoformat()
    if draw(sometimes):
        query["available"] = "true"
    if draw(sometimes):
        query["archived"] = "true"
    return query


def _words(body: dict[str, Any]) -> tuple[str, ...]:
    details = body.get("details")
    if details is None:
        return ()
    if "venue" in details:
        return (details["venue"],)
    if "address" in details:
        return (details["address"],)
    route = f"{details['origin']}-{details['destination']}"
    return (details["origin"], details["destination"], route, details["flight_number"])


def expected(made: list[Made], query: dict[str, Any]) -> list[UUID]:
    """The reference: the filters as the API documents them, over plain Python values."""
    found = [m for m in made if m.archived == (query.get("archived") == "true")]
    if "kind" in query:
        found = [m for m in found if m.kind == query["kind"]]
    if "q" in query:
        needle = query["q"].casefold()
        found = [m for m in found if any(needle in word.casefold() for word in (m.name, *m.words))]
    if "from" in query:
        found = [m for m in found if m.starts_at is not None and m.starts_at >= datetime.fromisoformat(query["from"])]
    if "to" in query:
        found = [m for m in found if m.starts_at is not None and m.starts_at < datetime.fromisoformat(query["to"])]
    if query.get("available") == "true":
        found = [m for m in found if m.pools == "open"]
    keys = {
        "created_at": lambda m: (m.created_at, m.id),
        "starts_at": lambda m: (m.starts_at is None, m.starts_at or BASE, m.id),
        "name": lambda m: (m.name.casefold(), m.id),
    }
    return [m.id for m in sorted(found, key=keys[query["sort"]])]


async def _make(api: Api, spec: dict[str, Any]) -> Made:
    created = await api.post("/v1/listings", spec["body"])
    assert created.status_code == 201, created.text
    shown = created.json()
    ident = shown["id"]
    if spec["pools"] != "none":
        capacity = 0 if spec["pools"] == "empty" else 2
        body = {"code": "a", "capacity": capacity, "unit_price": 100, "currency": "EUR"}
        pool = (await api.post(f"/v1/listings/{ident}/pools", body)).json()["id"]
        if spec["pools"] == "archived":
            assert (await api.post(f"/v1/pools/{pool}/archive")).status_code == 200
    if spec["archived"]:
        assert (await api.post(f"/v1/listings/{ident}/archive")).status_code == 200
    api.clock.advance(spec["body"]["name"].count("a") % 2)  # some created at the same instant: the id decides
    starts = None if shown["starts_at"] is None else datetime.fromisoformat(shown["starts_at"])
    created_at = datetime.fromisoformat(shown["created_at"])
    body = spec["body"]
    return Made(
        UUID(ident), body["kind"], body["name"], _words(body), starts, created_at, spec["pools"], spec["archived"]
    )


async def _walk(api: Api, query: dict[str, Any]) -> list[UUID]:
    found: list[UUID] = []
    cursor = None
    for _ in range(100):
        params = {**query, **({"cursor": cursor} if cursor else {})}
        response = await api.get("/v1/listings", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= query["limit"]
        found += [UUID(item["id"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("the pages never ended")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(listings(), max_size=7), searches=st.lists(queries(), min_size=2, max_size=5))
async def test_search_matches_a_reference_filter(
    world: World, specs: list[dict[str, Any]], searches: list[Any]
) -> None:
    registered = await world.container.use_cases.register_tenant()(RegisterTenant(f"t-{uuid4().hex[:12]}"))
    api = Api(world.client, registered.api_key, world.clock)
    made = [await _make(api, spec) for spec in specs]
    for query in searches:
        assert await _walk(api, query) == expected(made, query), query
