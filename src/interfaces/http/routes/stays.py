"""Stays: a property's room types, its rules and blocks, stay holds and the calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from application.use_cases.stays.blocks import BlockNights, BlockNightsHandler, ListBlocksHandler, UnblockNightsHandler
from application.use_cases.stays.calendar import GetCalendarHandler
from application.use_cases.stays.place_stay_hold import PlaceStayHoldHandler
from application.use_cases.stays.room_types import CreateRoomType, CreateRoomTypeHandler, ListRoomTypesHandler
from application.use_cases.stays.rules import GetStayRulesHandler, SetStayRules, SetStayRulesHandler
from domain.identity import Actor
from domain.permissions import Permission
from domain.tenants import Tenant
from interfaces.http.dependencies import use_case
from interfaces.http.locations import CREATED_HEADERS, created
from interfaces.http.openapi import QUEUE_PASS_CODES, problems
from interfaces.http.permissions import requires
from interfaces.http.schemas import HoldOut
from interfaces.http.stay_schemas import (
    CODE_PATTERN,
    BlockIn,
    BlockList,
    BlockOut,
    CalendarOut,
    PropertyRulesOut,
    RoomCalendarOut,
    RoomTypeIn,
    RoomTypeList,
    RoomTypeOut,
    StayHoldIn,
    StayRulesIn,
)
from interfaces.http.text import QUEUE_PASS_PATTERN

# A stay breaking a rule (422): the code of the rule; ``stay_rule_broken`` is their family's.
STAY_RULE_CODES = (
    "stay_rule_broken",
    "stay_in_past",
    "stay_too_short",
    "stay_too_long",
    "check_in_day_not_allowed",
    "check_out_day_not_allowed",
)
DEFAULT_CALENDAR_NIGHTS = 31


class StayController(Controller):
    path = "/listings/{listing_id:uuid}"
    tags = ["stays"]

    @post(
        "/room-types",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"create_room_type": use_case("create_room_type")},
        responses=problems(
            "not_found", "not_a_stay_property", "already_exists", "too_many_pools", "inventory_unavailable"
        ),
    )
    async def add_room_type(
        self,
        listing_id: FromPath[UUID],
        data: JSONBody[RoomTypeIn],
        tenant: NamedDependency[Tenant],
        create_room_type: NamedDependency[CreateRoomTypeHandler],
    ) -> Response[RoomTypeOut]:
        """A room type of a stay property, with a night pool (capacity ``units``, price
        ``base_price``) for each night of the sales horizon (``HOLDFAST_STAY_HORIZON_DAYS``
        from today); the daily ``extend_stay_horizon`` job keeps the horizon rolling."""
        command = CreateRoomType(
            tenant.id, listing_id, data.code, data.name, data.units, data.base_price, data.currency
        )
        made = await create_room_type(command)
        return Response(RoomTypeOut.of(made.room_type, made.nights), status_code=201)

    @get(
        "/room-types",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"list_room_types": use_case("list_room_types")},
        responses=problems("not_found", "not_a_stay_property"),
    )
    async def room_types(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        list_room_types: NamedDependency[ListRoomTypesHandler],
    ) -> RoomTypeList:
        return RoomTypeList([RoomTypeOut.of(room) for room in await list_room_types(tenant.id, listing_id)])

    @put(
        "/stay-rules",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"set_stay_rules": use_case("set_stay_rules")},
        responses=problems("not_found", "not_a_stay_property"),
    )
    async def set_rules(
        self,
        listing_id: FromPath[UUID],
        data: JSONBody[StayRulesIn],
        tenant: NamedDependency[Tenant],
        set_stay_rules: NamedDependency[SetStayRulesHandler],
    ) -> PropertyRulesOut:
        """Replace the property's rules, or (``room_type``) one room type's own, which then
        apply to that room type instead of the property's, whole."""
        found = await set_stay_rules(SetStayRules(tenant.id, listing_id, data.rules(), data.room_type))
        return PropertyRulesOut.of(found)

    @get(
        "/stay-rules",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"get_stay_rules": use_case("get_stay_rules")},
        responses=problems("not_found", "not_a_stay_property"),
    )
    async def rules(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        get_stay_rules: NamedDependency[GetStayRulesHandler],
    ) -> PropertyRulesOut:
        return PropertyRulesOut.of(await get_stay_rules(tenant.id, listing_id))

    @post(
        "/blocks",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"block_nights": use_case("block_nights")},
        responses=problems(
            "not_found",
            "not_a_stay_property",
            "nights_not_on_sale",
            "block_exceeds_units",
            "block_units_taken",
            "conflict",
            "inventory_unavailable",
        ),
    )
    async def block(
        self,
        listing_id: FromPath[UUID],
        data: JSONBody[BlockIn],
        tenant: NamedDependency[Tenant],
        block_nights: NamedDependency[BlockNightsHandler],
    ) -> Response[BlockOut]:
        """Take ``units`` rooms (all, left out) of a room type off sale for the nights
        [``start``, ``end``): each night's pool shrinks. Units held or sold are never blocked."""
        command = BlockNights(tenant.id, listing_id, data.room_type, data.start, data.end, data.units, data.reason)
        return Response(BlockOut.of(await block_nights(command)), status_code=201)

    @get(
        "/blocks",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"list_blocks": use_case("list_blocks")},
        responses=problems("not_found", "not_a_stay_property"),
    )
    async def blocks(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        list_blocks: NamedDependency[ListBlocksHandler],
    ) -> BlockList:
        """The property's blocks, by first night (each one's ``id`` lifts it)."""
        return BlockList([BlockOut.of(block) for block in await list_blocks(tenant.id, listing_id)])

    @delete(
        "/blocks/{block_id:uuid}",
        opt=requires(Permission.CATALOGUE_WRITE),
        status_code=200,
        dependencies={"unblock_nights": use_case("unblock_nights")},
        responses=problems("not_found", "not_a_stay_property", "conflict", "inventory_unavailable"),
    )
    async def unblock(
        self,
        listing_id: FromPath[UUID],
        block_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        unblock_nights: NamedDependency[UnblockNightsHandler],
    ) -> BlockOut:
        """Lift a block: its units are on sale again."""
        return BlockOut.of(await unblock_nights(tenant.id, listing_id, block_id))

    @post(
        "/stay-holds",
        opt=requires(Permission.HOLDS_PLACE),
        dependencies={"place_stay_hold": use_case("place_stay_hold")},
        response_headers=CREATED_HEADERS,
        responses=problems(
            "not_found",
            "not_a_stay_property",
            *STAY_RULE_CODES,
            "nights_blocked",
            "nights_not_on_sale",
            "insufficient_inventory",
            "customer_limit_exceeded",
            "hold_id_conflict",
            "inventory_unavailable",
            *QUEUE_PASS_CODES,
            "customer_mismatch",
        ),
    )
    async def hold_stay(
        self,
        listing_id: FromPath[UUID],
        data: JSONBody[StayHoldIn],
        actor: NamedDependency[Actor],
        place_stay_hold: NamedDependency[PlaceStayHoldHandler],
        now: NamedDependency[datetime],
        queue_pass: Annotated[str | None, HeaderParameter(name="X-Queue-Pass", pattern=QUEUE_PASS_PATTERN)] = None,
    ) -> Response[HoldOut]:
        """One hold over the stay's nights [``check_in``, ``check_out``) (and the rules' buffer
        nights after it, at price 0), all or none, after the rules are checked; book it with
        ``POST /v1/bookings``. As ``POST /v1/holds``: queue passes, customer limits, ``id``."""
        placed = await place_stay_hold(data.command(actor, listing_id, queue_pass))
        return created(HoldOut.of(placed, now), "holds", placed.id)

    @get(
        "/calendar",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"get_calendar": use_case("get_calendar")},
        responses=problems("not_found", "not_a_stay_property", "inventory_unavailable"),
    )
    async def calendar(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        get_calendar: NamedDependency[GetCalendarHandler],
        now: NamedDependency[datetime],
        room_type: Annotated[str | None, QueryParameter(query="room_type", max_length=64, pattern=CODE_PATTERN)] = None,
        start: Annotated[date | None, QueryParameter(query="from")] = None,
        end: Annotated[date | None, QueryParameter(query="to")] = None,
    ) -> CalendarOut:
        """Night by night for [``from``, ``to``) (default: 31 nights from today; at most 366):
        units available now, the price of one, units blocked, whether the rules allow checking
        in or out that day. Every room type, or ``room_type`` alone."""
        first = start or now.date()
        last = end or first + timedelta(days=DEFAULT_CALENDAR_NIGHTS)
        found = await get_calendar(tenant.id, listing_id, room_type, first, last)
        return CalendarOut(listing_id, first, last, [RoomCalendarOut.of(room) for room in found])
