"""Users (staff and customers) and their refresh tokens."""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint, Uuid

from infrastructure.persistence.metadata import metadata

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    # Kept lower-cased (domain.users.normalize_email): unique per tenant whatever its case.
    Column("email", String(254), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),  # a domain.roles.Role
    Column("password_hash", String(200), nullable=True),  # argon2id; None until an invitation is accepted
    Column("created_at", DateTimeUTC, nullable=False),
    Column("disabled_at", DateTimeUTC, nullable=True),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTimeUTC, nullable=True),
    Column("invitation_hash", String(64), nullable=True, unique=True),  # SHA-256 of the one-time token
    Column("invitation_expires_at", DateTimeUTC, nullable=True),
    UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),
    Index("ix_users_tenant_page", "tenant_id", "created_at", "id"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("family_id", Uuid, nullable=False, index=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the opaque token
    Column("created_at", DateTimeUTC, nullable=False),
    Column("expires_at", DateTimeUTC, nullable=False),
    Column("used_at", DateTimeUTC, nullable=True),  # rotated: presenting it again is reuse
    Column("revoked_at", DateTimeUTC, nullable=True),
)
