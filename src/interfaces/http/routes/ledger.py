"""The ledger, read-only: a tenant's balances and what one booking's money did."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from application.use_cases.get_booking_ledger import GetBookingLedgerHandler
from application.use_cases.get_ledger_balances import GetLedgerBalancesHandler
from domain.permissions import Permission
from domain.tenants import Tenant
from interfaces.http.dependencies import use_case
from interfaces.http.ledger_schemas import AccountBalanceOut, BookingLedgerOut, LedgerAccountsOut
from interfaces.http.openapi import problems
from interfaces.http.permissions import requires


class LedgerController(Controller):
    path = "/ledger"
    tags = ["ledger"]

    @get(
        "/accounts",
        opt=requires(Permission.LEDGER_READ),
        dependencies={"get_ledger_balances": use_case("get_ledger_balances")},
        responses=problems(),
    )
    async def accounts(
        self,
        tenant: NamedDependency[Tenant],
        get_ledger_balances: NamedDependency[GetLedgerBalancesHandler],
    ) -> LedgerAccountsOut:
        """The tenant's account balances per currency, in minor units, on each account's normal side."""
        balances = await get_ledger_balances(tenant.id)
        return LedgerAccountsOut([AccountBalanceOut.of(found) for found in balances])

    @get(
        "/bookings/{booking_id:uuid}",
        opt=requires(Permission.LEDGER_READ),
        dependencies={"get_booking_ledger": use_case("get_booking_ledger")},
        responses=problems("not_found"),
    )
    async def booking(
        self,
        booking_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        get_booking_ledger: NamedDependency[GetBookingLedgerHandler],
    ) -> BookingLedgerOut:
        """The booking's ledger transactions, oldest first, with captured, refunded, fees and net."""
        return BookingLedgerOut.of(await get_booking_ledger(tenant.id, booking_id))
