"""The virtual waiting room of a listing in queue mode: join, read one's place, leave."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from application.use_cases.get_queue_ticket import GetQueueTicket, GetQueueTicketHandler
from application.use_cases.join_queue import JoinQueue, JoinQueueHandler
from application.use_cases.leave_queue import LeaveQueue, LeaveQueueHandler
from domain.identity import Actor
from interfaces.http.dependencies import use_case
from interfaces.http.locations import CREATED_HEADERS, created
from interfaces.http.openapi import problems
from interfaces.http.schemas import TicketOut

PERMISSION = {"permission": "queue:join"}


class WaitingRoomController(Controller):
    path = "/listings/{listing_id:uuid}/queue"
    tags = ["waiting room"]

    @post(
        "/",
        dependencies={"join_queue": use_case("join_queue")},
        response_headers=CREATED_HEADERS,
        responses=problems("not_found", "queue_not_enabled"),
        opt=PERMISSION,
    )
    async def join(
        self, listing_id: FromPath[UUID], actor: NamedDependency[Actor], join_queue: NamedDependency[JoinQueueHandler]
    ) -> Response[TicketOut]:
        """Take a place in the listing's queue: 201 with a new ticket, or 200 with the one this
        identity already has (one place per identity). 409 ``queue_not_enabled`` when the
        listing's queue mode is off (its holds need no pass)."""
        joined = await join_queue(JoinQueue(actor.tenant.id, listing_id, actor.subject))
        ticket = TicketOut.of(joined.status)
        if not joined.created:
            return Response(ticket, status_code=200)
        return created(ticket, f"listings/{listing_id}/queue", ticket.id)

    @get(
        "/{ticket_id:uuid}",
        dependencies={"get_queue_ticket": use_case("get_queue_ticket")},
        responses=problems("not_found"),
        opt=PERMISSION,
    )
    async def show(
        self,
        listing_id: FromPath[UUID],
        ticket_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        get_queue_ticket: NamedDependency[GetQueueTicketHandler],
    ) -> TicketOut:
        """The ticket's position (1: next), estimated wait, and once admitted its queue pass.
        Another identity's ticket is not found."""
        return TicketOut.of(
            await get_queue_ticket(GetQueueTicket(actor.tenant.id, listing_id, ticket_id, actor.subject))
        )

    @delete(
        "/{ticket_id:uuid}",
        status_code=204,
        dependencies={"leave_queue": use_case("leave_queue")},
        responses=problems("not_found"),
        opt=PERMISSION,
    )
    async def leave(
        self,
        listing_id: FromPath[UUID],
        ticket_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        leave_queue: NamedDependency[LeaveQueueHandler],
    ) -> None:
        """Give the place up (its pass stops admitting holds). Another identity's ticket is not found."""
        await leave_queue(LeaveQueue(actor.tenant.id, listing_id, ticket_id, actor.subject))
