"""Tenants: every object in Holdfast belongs to exactly one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidValueError
from domain.roles import Role


@dataclass(frozen=True, slots=True)
class Tenant:
    id: UUID
    name: str
    created_at: datetime

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > 200:
            raise InvalidValueError("name", "must be 1 to 200 characters")


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """The tenant an API key speaks for, and the instant it stops: ``revoked_at`` is now for a
    key revoked at once, later for a key rotated with a grace period, None for a key in use.

    A key authenticates strictly before ``revoked_at``: a deadline is known ahead, so every
    process that has read it ends the key on its own clock, with no message at the deadline.
    """

    tenant: Tenant
    revoked_at: datetime | None = None
    key_id: UUID | None = None
    role: Role = Role.ADMIN

    def active_at(self, now: datetime) -> bool:
        return self.revoked_at is None or now < self.revoked_at
