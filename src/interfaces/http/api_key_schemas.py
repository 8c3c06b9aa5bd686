"""Bodies of ``/v1/api-keys``: a key is shown (``key``) once, when it is made; never its hash."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from application.ports.repositories import ApiKeyRecord
from application.use_cases.create_api_key import MAX_LABEL_LENGTH
from domain.roles import Role
from interfaces.http.schemas import Input
from interfaces.http.text import Line


class ApiKeyIn(Input):
    label: Annotated[Line, Meta(min_length=1, max_length=MAX_LABEL_LENGTH, description="what the key is for")]
    # Every role is accepted here, so that "customer" is told its own reason (422
    # ``customer_key_not_allowed``: customers sign in as users) rather than a bare enum mismatch.
    role: Annotated[Role, Meta(description="the role the key acts in; any but `customer`")] = Role.ADMIN
    # With a UTC offset: a bare local time would be read differently by each reader.
    expires_at: Annotated[datetime, Meta(tz=True, description="the key stops working at this instant")] | None = None


class ApiKeyOut(msgspec.Struct):
    """A key as stored, never its secret. ``ends_at``: when it stops if a rotation's grace period
    is running (else null); ``expires_at``: the end it was made with (null: none)."""

    id: UUID
    label: str
    role: str
    created_at: datetime
    expires_at: datetime | None
    ends_at: datetime | None

    @classmethod
    def of(cls, record: ApiKeyRecord) -> ApiKeyOut:
        return cls(record.id, record.label, record.role.value, record.created_at, record.expires_at, record.revoked_at)


class CreatedApiKeyOut(ApiKeyOut, kw_only=True):
    """The key just made, with its secret ``key``: shown this once, keep it (only a hash is stored)."""

    key: str

    @classmethod
    def made(cls, record: ApiKeyRecord, key: str) -> CreatedApiKeyOut:
        r = record
        return cls(r.id, r.label, r.role.value, r.created_at, r.expires_at, r.revoked_at, key=key)


class ApiKeyPage(msgspec.Struct):
    items: list[ApiKeyOut]
    next_cursor: str | None
