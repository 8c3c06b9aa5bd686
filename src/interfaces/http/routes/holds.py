"""Holds: reserve units for a while, all or nothing."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.use_cases.get_hold import GetHoldHandler
from application.use_cases.place_hold import PlaceHold, PlaceHoldHandler
from application.use_cases.release_hold import ReleaseHoldHandler
from domain.tenants import Tenant
from interfaces.http.dependencies import use_case
from interfaces.http.locations import CREATED_HEADERS, created
from interfaces.http.openapi import problems
from interfaces.http.schemas import HoldIn, HoldOut


class HoldController(Controller):
    path = "/holds"
    tags = ["holds"]

    @post(
        "/",
        dependencies={"place_hold": use_case("place_hold")},
        response_headers=CREATED_HEADERS,
        responses=problems(
            "not_found",
            "insufficient_inventory",
            "customer_limit_exceeded",
            "hold_id_conflict",
            "inventory_unavailable",
        ),
    )
    async def place(
        self,
        data: JSONBody[HoldIn],
        tenant: NamedDependency[Tenant],
        place_hold: NamedDependency[PlaceHoldHandler],
        now: NamedDependency[datetime],
    ) -> Response[HoldOut]:
        """Reserve every line or none. Sending the same ``id`` again returns the same hold."""
        command = PlaceHold(
            tenant_id=tenant.id,
            listing_id=data.listing_id,
            customer_ref=data.customer_ref,
            lines=tuple((line.pool_id, line.quantity) for line in data.lines),
            hold_id=data.id,
            ttl_seconds=data.ttl_seconds,
        )
        placed = await place_hold(command)
        return created(HoldOut.of(placed, now), "holds", placed.id)

    @get(
        "/{hold_id:uuid}",
        dependencies={"get_hold": use_case("get_hold")},
        responses=problems("not_found", "inventory_unavailable"),
    )
    async def show(
        self,
        hold_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        get_hold: NamedDependency[GetHoldHandler],
        now: NamedDependency[datetime],
    ) -> HoldOut:
        return HoldOut.of(await get_hold(tenant.id, hold_id), now)

    @delete(
        "/{hold_id:uuid}",
        status_code=200,
        dependencies={"release_hold": use_case("release_hold")},
        responses=problems("not_found", "hold_not_active", "inventory_unavailable"),
    )
    async def release(
        self,
        hold_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        release_hold: NamedDependency[ReleaseHoldHandler],
        now: NamedDependency[datetime],
    ) -> HoldOut:
        """Give the units back. Releasing twice is harmless."""
        return HoldOut.of(await release_hold(tenant.id, hold_id), now)
