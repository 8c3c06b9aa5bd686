"""Seat maps of flights, and seat holds: a named seat, or any seat of a cabin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody

from application.use_cases.get_seat_map import GetSeatMapHandler
from application.use_cases.place_seat_hold import PlaceSeatHoldHandler
from application.use_cases.set_seat_map import SetSeatMap, SetSeatMapHandler
from domain.identity import Actor
from domain.permissions import Permission
from domain.tenants import Tenant
from interfaces.http.dependencies import use_case
from interfaces.http.locations import CREATED_HEADERS, created
from interfaces.http.openapi import QUEUE_PASS_CODES, problems
from interfaces.http.permissions import requires
from interfaces.http.schemas import HoldOut
from interfaces.http.seat_map_schemas import SeatHoldIn, SeatHoldOut, SeatMapIn, SeatMapOut
from interfaces.http.text import QUEUE_PASS_PATTERN


class SeatMapController(Controller):
    path = "/listings"
    tags = ["seat maps"]

    @put(
        "/{listing_id:uuid}/seat-map",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"set_seat_map": use_case("set_seat_map"), "get_seat_map": use_case("get_seat_map")},
        responses=problems("not_found", "not_a_flight", "seat_map_in_use", "too_many_pools", "inventory_unavailable"),
    )
    async def put_map(
        self,
        listing_id: FromPath[UUID],
        data: JSONBody[SeatMapIn],
        tenant: NamedDependency[Tenant],
        set_seat_map: NamedDependency[SetSeatMapHandler],
        get_seat_map: NamedDependency[GetSeatMapHandler],
    ) -> SeatMapOut:
        """Set the flight's seat map: a capacity-1 pool per seat (coded ``12A``) and a pool per
        cabin (``cabin-<code>``, one unit per seat). A map may change until one of its seats is
        held or sold (409 ``seat_map_in_use``); seats it drops keep their pools at capacity 0."""
        await set_seat_map(SetSeatMap(tenant.id, listing_id, data.seat_map()))
        return SeatMapOut.of(await get_seat_map(tenant.id, listing_id))

    @get(
        "/{listing_id:uuid}/seat-map",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"get_seat_map": use_case("get_seat_map")},
        responses=problems("not_found", "inventory_unavailable"),
    )
    async def get_map(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        get_seat_map: NamedDependency[GetSeatMapHandler],
    ) -> SeatMapOut:
        """The map, row by row (``null`` for an aisle), each seat's state (free, held, sold) and
        price (cabin price + surcharge), and each cabin's counts, read live from the engine."""
        return SeatMapOut.of(await get_seat_map(tenant.id, listing_id))

    @post(
        "/{listing_id:uuid}/seat-holds",
        opt=requires(Permission.HOLDS_PLACE),
        dependencies={"place_seat_hold": use_case("place_seat_hold")},
        response_headers=CREATED_HEADERS,
        responses=problems(
            "not_found",
            "insufficient_inventory",
            "customer_limit_exceeded",
            "hold_id_conflict",
            "inventory_unavailable",
            *QUEUE_PASS_CODES,
            "customer_mismatch",
        ),
    )
    async def hold_seat(
        self,
        listing_id: FromPath[UUID],
        data: JSONBody[SeatHoldIn],
        actor: NamedDependency[Actor],
        place_seat_hold: NamedDependency[PlaceSeatHoldHandler],
        now: NamedDependency[datetime],
        queue_pass: Annotated[str | None, HeaderParameter(name="X-Queue-Pass", pattern=QUEUE_PASS_PATTERN)] = None,
    ) -> Response[SeatHoldOut]:
        """Hold one seat: ``{"seat": "12A"}``, or ``{"cabin": "economy", "preferences":
        {"window": true}}`` for the best free seat of the cabin. The hold takes the seat's pool
        and one unit of its cabin's pool, all or nothing, under the rules of ``POST /v1/holds``
        (queue passes, per-customer limits, ``id`` retries); book it with ``POST /v1/bookings``."""
        placed = await place_seat_hold(data.command(actor, listing_id, queue_pass))
        hold = placed.hold
        out = HoldOut.of(hold, now)
        body = SeatHoldOut(
            out.id,
            out.status,
            out.listing_id,
            out.customer_ref,
            out.lines,
            out.total_price,
            out.created_at,
            out.expires_at,
            placed.seat,
            placed.cabin,
        )
        return created(body, "holds", hold.id)
