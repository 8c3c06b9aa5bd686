"""List a tenant's bookings, filtered, a page at a time."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import BookingFilter, Page, PageRequest, UnitOfWorkFactory
from domain.bookings import Booking


class ListBookingsHandler:
    """Oldest first, keyset-paginated, filtered by status, listing, customer and creation time."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, tenant_id: UUID, where: BookingFilter, page: PageRequest) -> Page[Booking]:
        async with self._uow() as uow:
            return await uow.bookings.list(tenant_id, where, page)
