"""Staff: invited by an admin (permission ``staff:manage``), listed, disabled."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.use_cases.identity.staff import (
    DisableStaffHandler,
    InviteStaff,
    InviteStaffHandler,
    ListStaffHandler,
)
from domain.tenants import Tenant
from interfaces.http.auth_schemas import InvitationOut, InviteIn, StaffPage, UserOut
from interfaces.http.dependencies import use_case
from interfaces.http.openapi import problems
from interfaces.http.pagination import Cursor, PageSize, encode_cursor, page_request

_MANAGE = {"permission": "staff:manage"}


class StaffController(Controller):
    path = "/staff"
    tags = ["staff"]

    @post(
        "/",
        status_code=201,
        dependencies={"invite_staff": use_case("invite_staff")},
        responses=problems("already_exists"),
        opt=_MANAGE,
    )
    async def invite(
        self,
        data: JSONBody[InviteIn],
        tenant: NamedDependency[Tenant],
        invite_staff: NamedDependency[InviteStaffHandler],
    ) -> Response[InvitationOut]:
        """Invite a staff member (any role but ``customer``). The ``invitation_token`` is shown
        once (only its hash is kept) and lasts 72 hours: hand it to them for
        ``POST /v1/auth/accept-invitation``."""
        invitation = await invite_staff(InviteStaff(tenant.id, data.email, data.name, data.role))
        user = invitation.user
        assert user.invitation_expires_at is not None
        out = InvitationOut(UserOut.of(user), invitation.token, user.invitation_expires_at)
        return Response(out, status_code=201)

    @get("/", dependencies={"list_staff": use_case("list_staff")}, responses=problems(), opt=_MANAGE)
    async def index(
        self,
        tenant: NamedDependency[Tenant],
        list_staff: NamedDependency[ListStaffHandler],
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> StaffPage:
        """The tenant's staff, disabled ones too, oldest first, a page at a time."""
        page = await list_staff(tenant.id, page_request(limit, cursor))
        return StaffPage([UserOut.of(user) for user in page.items], encode_cursor(page.next_after))

    @delete(
        "/{user_id:uuid}",
        status_code=200,
        dependencies={"disable_staff": use_case("disable_staff")},
        responses=problems("not_found"),
        opt=_MANAGE,
    )
    async def disable(
        self,
        user_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        disable_staff: NamedDependency[DisableStaffHandler],
    ) -> UserOut:
        """Disable a staff member: they cannot sign in or refresh from now on (every session
        of theirs ends); an access token already issued lasts until it expires (15 minutes at
        most by default). Twice is harmless."""
        return UserOut.of(await disable_staff(tenant.id, user_id))
