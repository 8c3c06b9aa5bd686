"""Who is asking: the roles a tenant's people and keys act in, and the actor of one request.

Every request that reaches a tenant's data is made by an ``Actor``: the tenant it speaks for,
the role it acts in, and a ``subject`` naming who it is across requests (``key:<id>`` for an API
key, ``user:<id>`` for a signed-in user). The subject is what per-identity limits, the waiting
room and audit lines count; the role is what the permission matrix decides routes by.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.roles import Role
from domain.tenants import Tenant


@dataclass(frozen=True, slots=True)
class Actor:
    """The tenant, role and identity one request acts with."""

    tenant: Tenant
    role: Role
    subject: str  # "key:<uuid>" or "user:<uuid>"
    user_id: UUID | None = None  # a signed-in user's id (customers and staff), None for a key

    @classmethod
    def of_key(cls, tenant: Tenant, key_id: UUID, role: Role) -> Actor:
        return cls(tenant, role, f"key:{key_id}")
