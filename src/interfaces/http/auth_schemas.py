"""HTTP bodies of sign-in and staff (``/v1/auth/*``, ``/v1/staff``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from application.use_cases.identity.sessions import Session
from domain.roles import Role
from domain.users import MAX_PASSWORD, MIN_PASSWORD, User
from interfaces.http.schemas import Email, Input, Name
from interfaces.http.text import Line

# A new password follows the rules; one given to sign in is only bounded (a wrong one is 401).
# No control characters in any of them (``interfaces.http.text``), as in every string sent.
NewPassword = Annotated[Line, Meta(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]
GivenPassword = Annotated[Line, Meta(min_length=1, max_length=1024)]
OpaqueToken = Annotated[Line, Meta(min_length=1, max_length=200)]
GivenEmail = Annotated[Line, Meta(min_length=1, max_length=254)]


class RegisterIn(Input):
    tenant_id: UUID
    email: Email
    password: NewPassword
    name: Name


class LoginIn(Input):
    tenant_id: UUID
    email: GivenEmail
    password: GivenPassword


class RefreshIn(Input):
    refresh_token: OpaqueToken


class AcceptInvitationIn(Input):
    token: OpaqueToken
    password: NewPassword


class MeIn(Input):
    name: Name | None = None
    password: NewPassword | None = None  # a new password needs current_password
    current_password: GivenPassword | None = None


class InviteIn(Input):
    email: Email
    name: Name
    role: Role  # any but customer


class UserOut(msgspec.Struct):
    id: UUID
    tenant_id: UUID
    email: str
    name: str
    role: str
    created_at: datetime
    disabled_at: datetime | None
    invitation_pending: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        pending = user.invitation_hash is not None
        return cls(
            user.id, user.tenant_id, user.email, user.name, user.role.value, user.created_at, user.disabled_at, pending
        )


class SessionOut(msgspec.Struct):
    access_token: str  # a JWT: send it as `Authorization: Bearer <access_token>`
    token_type: str
    expires_in: int  # seconds
    refresh_token: str  # single use: POST /v1/auth/refresh answers the next one
    refresh_expires_at: datetime
    user: UserOut

    @classmethod
    def of(cls, session: Session) -> SessionOut:
        return cls(
            session.access_token,
            "Bearer",
            session.expires_in,
            session.refresh_token,
            session.refresh_expires_at,
            UserOut.of(session.user),
        )


class InvitationOut(msgspec.Struct):
    user: UserOut
    invitation_token: str  # shown once: POST /v1/auth/accept-invitation with it
    invitation_expires_at: datetime


class StaffPage(msgspec.Struct):
    items: list[UserOut]
    next_cursor: str | None = None
