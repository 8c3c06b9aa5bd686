"""A pool's overbooking allowance (airline style): ``PUT /v1/pools/{id}/overbooking``."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.use_cases.set_pool_overbooking import SetPoolOverbooking, SetPoolOverbookingHandler
from domain.permissions import Permission
from domain.tenants import Tenant
from interfaces.http.dependencies import use_case
from interfaces.http.openapi import problems
from interfaces.http.permissions import requires
from interfaces.http.schemas import OverbookingIn, PoolOut


class PoolOverbookingController(Controller):
    path = "/pools"
    tags = ["listings"]

    @put(
        "/{pool_id:uuid}/overbooking",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"set_pool_overbooking": use_case("set_pool_overbooking")},
        responses=problems("not_found", "capacity_below_committed", "conflict", "inventory_unavailable"),
    )
    async def set_overbooking(
        self,
        pool_id: FromPath[UUID],
        data: JSONBody[OverbookingIn],
        tenant: NamedDependency[Tenant],
        set_pool_overbooking: NamedDependency[SetPoolOverbookingHandler],
    ) -> PoolOut:
        """Set how many units may be sold beyond the pool's capacity: 0 (off) up to half the
        capacity (400 beyond). The pool then sells up to capacity + units. Lowering it below the
        units already held or sold beyond the capacity is refused (409
        ``capacity_below_committed``), changing nothing."""
        changed = await set_pool_overbooking(SetPoolOverbooking(tenant.id, pool_id, data.units))
        return PoolOut.of(changed.pool, changed.counters)
