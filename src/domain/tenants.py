"""Tenants: every object in Holdfast belongs to exactly one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import DomainError, InvalidValueError
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
    """The tenant an API key speaks for, and the instants it stops: ``revoked_at`` is now for a
    key revoked at once, later for a key rotated with a grace period, None for a key in use;
    ``expires_at`` is the end it was created with (None: none).

    A key authenticates strictly before the earlier of the two: both are known ahead, so every
    process that has read them ends the key on its own clock, with no message at the deadline.
    """

    tenant: Tenant
    revoked_at: datetime | None = None
    key_id: UUID | None = None
    role: Role = Role.ADMIN
    expires_at: datetime | None = None

    def active_at(self, now: datetime) -> bool:
        return (self.revoked_at is None or now < self.revoked_at) and (self.expires_at is None or now < self.expires_at)


class CustomerKeyError(DomainError):
    """An API key cannot act as a customer: keys are for server-to-server use, and a customer
    signs in as a user, whose holds and bookings are bound to it."""

    code = "customer_key_not_allowed"

    def __init__(self) -> None:
        super().__init__("an API key cannot have the customer role: customers sign in as users")


def key_role(role: Role) -> Role:
    """``role`` if an API key may act in it (any but ``customer``), else ``CustomerKeyError``."""
    if role is Role.CUSTOMER:
        raise CustomerKeyError()
    return role
