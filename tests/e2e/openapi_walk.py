"""Walking every /v1 operation of the app's own OpenAPI document: the permission matrix test and
the cross-tenant sweep drive whatever routes the app serves, including routes added later.

A route is driven with a request built from two registries, and an operation neither can build
a request for FAILS the walk with a message saying what to register (it is never skipped):

* ``IDS``: a path (or uuid query) parameter's name -> which of a tenant's objects it names, read
  from ``Objects`` (a tenant's data of every kind, made by ``populate``);
* ``BODIES``: (method, path) -> a valid JSON body for an operation that takes one.

Operations left out of both walks: ``/v1/ops`` (the operator scope: its own tests) and those
marked ``x-public`` (no credentials: no role, no tenant).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from tests.e2e.conftest import Api, World
from tests.e2e.helpers import book, hold, make_listing
from tests.e2e.identity_helpers import Person

METHODS = ("get", "post", "put", "patch", "delete")
OPS_PREFIX = "/v1/ops"


@dataclass(frozen=True)
class Objects:
    """One tenant's objects of every kind, by id (strings, as the API shows them)."""

    listing: str
    pool: str
    hold: str  # active
    bookable_hold: str  # active, for POST /v1/bookings
    booking: str  # confirmed and paid
    endpoint: str  # an outgoing webhook endpoint
    api_key: str  # a managed key nobody calls with (revoking it harms no one)
    ticket: str  # the tenant admin's place in the listing's waiting room (queue mode off again)
    staff_user: str  # a staff member invited (not yet signed in): disabling them harms no one
    name: str  # the listing's name: must never show in another tenant's answers
    quote: str = ""  # a quote of the listing's pool, not held

    def ids(self) -> set[str]:
        return {
            self.listing,
            self.pool,
            self.hold,
            self.bookable_hold,
            self.booking,
            self.endpoint,
            self.api_key,
            self.ticket,
            self.staff_user,
            self.quote,
        }


# A parameter's name -> the object of that kind. Register a new route's parameters here.
IDS: dict[str, Callable[[Objects], str]] = {
    "listing_id": lambda o: o.listing,
    "pool_id": lambda o: o.pool,
    "hold_id": lambda o: o.hold,
    "booking_id": lambda o: o.booking,
    "endpoint_id": lambda o: o.endpoint,
    "key_id": lambda o: o.api_key,
    "ticket_id": lambda o: o.ticket,
    "user_id": lambda o: o.staff_user,
    "subject": lambda o: f"key:{o.api_key}",  # a listing owner (/v1/listings/{id}/owners/{subject})
    # The walk's listing is a show, so the stays routes answer 409 not_a_stay_property (their
    # own tenant) or 404 (another's) before they look for a block: any id of the tenant's does.
    "block_id": lambda o: o.listing,
    "quote_id": lambda o: o.quote,
    # No change is made for the walk: a booking's id names no change (404 for those allowed).
    "change_id": lambda o: o.booking,
}


def _pool(o: Objects) -> dict[str, Any]:
    return {"code": f"p{uuid4().hex[:8]}", "capacity": 1, "unit_price": 0, "currency": "EUR"}


def _hold(o: Objects) -> dict[str, Any]:
    return {"listing_id": o.listing, "customer_ref": "walker", "lines": [{"pool_id": o.pool, "quantity": 1}]}


# (METHOD, path) -> a valid body. Register a new route's body here.
BODIES: dict[tuple[str, str], Callable[[Objects], Any]] = {
    ("POST", "/v1/listings"): lambda o: {"kind": "event_show", "name": "walked"},
    ("POST", "/v1/listings/{listing_id}/pools"): _pool,
    ("PATCH", "/v1/pools/{pool_id}"): lambda o: {"capacity": 50},
    ("PUT", "/v1/pools/{pool_id}/overbooking"): lambda o: {"units": 0},
    ("POST", "/v1/holds"): _hold,
    ("POST", "/v1/bookings"): lambda o: {"hold_id": o.bookable_hold},
    ("POST", "/v1/bookings/{booking_id}/cancel"): lambda o: {"reason": "walked"},
    ("POST", "/v1/bookings/{booking_id}/refunds"): lambda o: {"amount": 100},
    ("POST", "/v1/webhook-endpoints"): lambda o: {"url": f"https://hooks.example.com/{uuid4().hex}"},
    ("POST", "/v1/api-keys"): lambda o: {"label": "walked", "role": "staff"},
    ("PATCH", "/v1/listings/{listing_id}"): lambda o: {"queue": {"batch_size": 7}},
    ("POST", "/v1/staff"): lambda o: {"email": f"{uuid4().hex[:12]}@walk.example.com", "name": "W", "role": "staff"},
    ("PATCH", "/v1/auth/me"): lambda o: {"name": "Walked"},
    ("POST", "/v1/dev/bookings/{booking_id}/pay"): lambda o: {"outcome": "succeeded"},
    # The walked listing is a show: a seat map is refused (409 not_a_flight), a seat hold not found.
    ("PUT", "/v1/listings/{listing_id}/seat-map"): lambda o: {
        "currency": "EUR",
        "cabins": [{"code": "eco", "name": "Economy", "first_row": 1, "last_row": 2, "letters": "AB", "price": 100}],
    },
    ("POST", "/v1/listings/{listing_id}/seat-holds"): lambda o: {"seat": "1A", "customer_ref": "walker"},
    ("POST", "/v1/listings/{listing_id}/room-types"): lambda o: {
        "code": "double",
        "name": "Double",
        "units": 2,
        "base_price": 100,
        "currency": "EUR",
    },
    ("PUT", "/v1/listings/{listing_id}/stay-rules"): lambda o: {"min_nights": 2},
    ("POST", "/v1/listings/{listing_id}/blocks"): lambda o: {
        "room_type": "double",
        "start": "2030-01-05",
        "end": "2030-01-06",
    },
    ("POST", "/v1/listings/{listing_id}/stay-holds"): lambda o: {
        "room_type": "double",
        "check_in": "2030-01-05",
        "check_out": "2030-01-07",
        "customer_ref": "walker",
    },
    ("PUT", "/v1/listings/{listing_id}/pricing"): lambda o: {"currency": "EUR"},
    ("POST", "/v1/quotes"): _hold,
    ("POST", "/v1/bookings/{booking_id}/changes"): lambda o: {"lines": [{"pool_id": o.pool, "quantity": 1}]},
}


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # the template, as the document has it
    spec: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p.get("in") == where]

    def request(self, objects: Objects, *, uuid_queries: bool = False) -> tuple[str, Any, bool]:
        """(url, body, whether a body is sent) for ``objects``; fails loudly when a parameter or
        a body is unknown to the registries. ``uuid_queries``: also name ``objects`` in every
        optional query parameter the registry knows (``?listing_id=...``)."""
        url = self.path
        for parameter in self.parameters("path"):
            name = parameter["name"]
            if name not in IDS:
                raise AssertionError(f"{self}: no id for path parameter {name!r}: register it in openapi_walk.IDS")
            url = url.replace("{" + name + "}", IDS[name](objects))
        query = {}
        for parameter in self.parameters("query"):
            name = parameter["name"]
            if parameter.get("required"):
                raise AssertionError(f"{self}: required query parameter {name!r}: teach openapi_walk to fill it")
            if uuid_queries and name in IDS:
                query[name] = IDS[name](objects)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        body_spec = self.spec.get("requestBody")
        if (self.method, self.path) in BODIES:
            return url, BODIES[(self.method, self.path)](objects), True
        if body_spec is not None and body_spec.get("required"):
            raise AssertionError(f"{self}: takes a JSON body: register a valid one in openapi_walk.BODIES")
        return url, None, False


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every tenant operation under /v1 (not /v1/ops, not public), reads first, deletes last."""
    found = [
        Operation(method.upper(), path, spec)
        for path, item in document["paths"].items()
        if path.startswith("/v1/") and not path.startswith(OPS_PREFIX)
        for method, spec in item.items()
        if method in METHODS and not spec.get("x-public")
    ]
    order = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}
    return sorted(found, key=lambda op: (order[op.method], op.path))


def bearer_only(operation: Operation) -> bool:
    """An operation documented for signed-in users alone (``/v1/auth/me``: an API key has no "me")."""
    return operation.spec.get("security") == [{"Bearer": []}]


async def send(api: Api | Person, operation: Operation, url: str, body: Any, has_body: bool) -> Any:
    """The request, with ``api``'s credentials: an API key, or a signed-in user's Bearer token."""
    headers = api.headers() if isinstance(api, Person) else {"X-API-Key": api.key}
    client = api.world.client if isinstance(api, Person) else api.client
    if has_body:
        headers["Content-Type"] = "application/json"
    content = json.dumps(body).encode() if has_body else None
    return await client.request(operation.method, url, headers=headers, content=content)


async def document(world: World) -> dict[str, Any]:
    response = await world.client.get("/schema/openapi.json")
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


async def populate(world: World, api: Api, name: str) -> Objects:
    """A tenant's data of every kind: a listing with a pool, two active holds, a paid booking, an
    outgoing webhook endpoint, a spare API key, an invited staff member, and a place in the
    listing's waiting room (queue mode turned on to join, then off again: holds need no pass)."""
    listing, pools = await make_listing(api, (("a", 50, 2500),), name=name)
    pool = pools["a"]
    held = (await hold(api, listing, {pool: 1})).json()["id"]
    bookable = (await hold(api, listing, {pool: 1})).json()["id"]
    booked = await book(world, (await hold(api, listing, {pool: 1})).json()["id"], api)
    endpoint = await api.post("/v1/webhook-endpoints", {"url": "https://hooks.example.com/in"})
    assert endpoint.status_code == 201, endpoint.text
    spare = await api.post("/v1/api-keys", {"label": "spare", "role": "owner"})
    assert spare.status_code == 201, spare.text
    assert (await api.patch(f"/v1/listings/{listing}", {"queue": {"enabled": True}})).status_code == 200
    ticket = await api.post(f"/v1/listings/{listing}/queue", None)
    assert ticket.status_code == 201, ticket.text
    assert (await api.patch(f"/v1/listings/{listing}", {"queue": {"enabled": False}})).status_code == 200
    invited = await api.post(
        "/v1/staff", {"email": f"invitee-{uuid4().hex[:8]}@walk.example.com", "name": "I", "role": "staff"}
    )
    assert invited.status_code == 201, invited.text
    ids = (endpoint.json()["id"], spare.json()["id"], ticket.json()["id"], invited.json()["user"]["id"])
    quote = await api.post("/v1/quotes", _hold(Objects(listing, pool, "", "", "", "", "", "", "", name)))
    assert quote.status_code == 201, quote.text
    return Objects(listing, pool, held, bookable, booked["id"], *ids, name, quote.json()["id"])


async def snapshot(api: Api, walked: list[Operation], objects: Objects) -> dict[str, tuple[int, str]]:
    """Everything ``api``'s tenant can read about itself: every GET of the walk, as it answers now."""
    state = {}
    for operation in walked:
        if operation.method == "GET":
            url, _, _ = operation.request(objects)
            response = await api.get(url)
            # A problem carries its request's correlation id: its code is what is compared.
            text = response.text if response.status_code < 300 else response.json()["code"]
            state[url] = (response.status_code, text)
    return state
