"""Holds: reserve units for a while, all or nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from application.ports.hold_list import HoldFilter
from application.use_cases.get_hold import GetHoldHandler
from application.use_cases.list_holds import ListHoldsHandler
from application.use_cases.place_hold import PlaceHoldHandler
from application.use_cases.release_hold import ReleaseHoldHandler
from domain.identity import Actor
from domain.inventory import HoldStatus
from domain.permissions import Permission
from domain.users import customer_ref_of
from interfaces.http.dependencies import use_case
from interfaces.http.locations import CREATED_HEADERS, created
from interfaces.http.openapi import QUEUE_PASS_CODES, problems
from interfaces.http.pagination import Cursor, CustomerFilter, PageSize, encode_cursor, page_request
from interfaces.http.permissions import requires
from interfaces.http.schemas import HoldIn, HoldOut, HoldPage
from interfaces.http.text import QUEUE_PASS_PATTERN


class HoldController(Controller):
    path = "/holds"
    tags = ["holds"]

    @post(
        "/",
        opt=requires(Permission.HOLDS_PLACE),
        dependencies={"place_hold": use_case("place_hold")},
        response_headers=CREATED_HEADERS,
        responses=problems(
            "not_found",
            "insufficient_inventory",
            "customer_limit_exceeded",
            "hold_id_conflict",
            "inventory_unavailable",
            *QUEUE_PASS_CODES,
            "customer_mismatch",
            "listing_archived",
            "pool_archived",
        ),
    )
    async def place(
        self,
        data: JSONBody[HoldIn],
        actor: NamedDependency[Actor],
        place_hold: NamedDependency[PlaceHoldHandler],
        now: NamedDependency[datetime],
        queue_pass: Annotated[str | None, HeaderParameter(name="X-Queue-Pass", pattern=QUEUE_PASS_PATTERN)] = None,
    ) -> Response[HoldOut]:
        """Reserve every line or none. Sending the same ``id`` again returns the same hold.
        While the listing's queue mode is on, ``X-Queue-Pass`` must carry this identity's queue
        pass (``GET /v1/listings/{id}/queue/{ticket}``), else 403.

        A signed-in customer holds for themself: ``customer_ref`` is theirs (``user:<id>``),
        left out or sent as such; another is 403 ``customer_mismatch``."""
        placed = await place_hold(data.command(actor, queue_pass))
        return created(HoldOut.of(placed, now), "holds", placed.id)

    @get(
        "/",
        opt=requires(Permission.HOLDS_READ),
        dependencies={"list_holds": use_case("list_holds")},
        responses=problems(),
    )
    async def index(
        self,
        actor: NamedDependency[Actor],
        list_holds: NamedDependency[ListHoldsHandler],
        now: NamedDependency[datetime],
        listing_id: FromQuery[UUID | None] = None,
        customer_ref: CustomerFilter = None,
        status: FromQuery[HoldStatus | None] = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> HoldPage:
        """The tenant's holds, oldest first, a page at a time (``limit`` + ``cursor``), filtered by
        ``listing_id``, ``customer_ref`` and ``status`` (as a hold reads: an active hold whose
        time is up is ``expired``). Exact on the sql and memory engines; on the redis engine it
        reads the hold journal in Postgres, up to one ``journal_holds`` round (5 s) behind Redis
        (``GET /v1/holds/{id}`` is live). A signed-in customer lists only their own."""
        own = customer_ref_of(actor)
        if own is not None and customer_ref not in (None, own):
            return HoldPage([], None)
        where = HoldFilter(listing_id, own or customer_ref, status)
        page = await list_holds(actor.tenant.id, where, page_request(limit, cursor), now)
        return HoldPage([HoldOut.of(hold, now) for hold in page.items], encode_cursor(page.next_after))

    @get(
        "/{hold_id:uuid}",
        opt=requires(Permission.HOLDS_READ),
        dependencies={"get_hold": use_case("get_hold")},
        responses=problems("not_found", "inventory_unavailable"),
    )
    async def show(
        self,
        hold_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        get_hold: NamedDependency[GetHoldHandler],
        now: NamedDependency[datetime],
    ) -> HoldOut:
        """A signed-in customer sees only their own holds (another's is not found)."""
        return HoldOut.of(await get_hold(actor.tenant.id, hold_id, customer_ref_of(actor)), now)

    @delete(
        "/{hold_id:uuid}",
        opt=requires(Permission.HOLDS_RELEASE),
        status_code=200,
        dependencies={"release_hold": use_case("release_hold")},
        responses=problems("not_found", "hold_not_active", "inventory_unavailable"),
    )
    async def release(
        self,
        hold_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        release_hold: NamedDependency[ReleaseHoldHandler],
        now: NamedDependency[datetime],
    ) -> HoldOut:
        """Give the units back. Releasing twice is harmless. A customer releases only their own."""
        return HoldOut.of(await release_hold(actor.tenant.id, hold_id, customer_ref_of(actor)), now)
