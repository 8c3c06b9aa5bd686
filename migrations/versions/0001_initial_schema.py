"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 00:09:03.303228
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "inventory_customer_units",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.CheckConstraint("units >= 0", name=op.f("ck_inventory_customer_units_units_not_negative")),
        sa.PrimaryKeyConstraint("listing_id", "customer_ref", name=op.f("pk_inventory_customer_units")),
    )
    op.create_table(
        "inventory_holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'confirmed', 'released', 'expired', 'cancelled')",
            name=op.f("ck_inventory_holds_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_holds")),
    )
    with op.batch_alter_table("inventory_holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inventory_holds_due",
            ["expires_at"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "ix_inventory_holds_listing_due",
            ["listing_id", "expires_at"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "inventory_pools",
        sa.Column("pool_id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sold", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("held + sold <= capacity", name=op.f("ck_inventory_pools_within_capacity")),
        sa.CheckConstraint("held >= 0", name=op.f("ck_inventory_pools_held_not_negative")),
        sa.CheckConstraint("sold >= 0", name=op.f("ck_inventory_pools_sold_not_negative")),
        sa.PrimaryKeyConstraint("pool_id", name=op.f("pk_inventory_pools")),
    )
    with op.batch_alter_table("inventory_pools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_pools_listing_id"), ["listing_id"], unique=False)

    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("name", name=op.f("uq_tenants_name")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_api_keys_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "inventory_hold_lines",
        sa.Column("hold_id", sa.Uuid(), nullable=False),
        sa.Column("pool_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_inventory_hold_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["inventory_holds.id"], name=op.f("fk_inventory_hold_lines_hold_id_inventory_holds")
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["inventory_pools.pool_id"],
            name=op.f("fk_inventory_hold_lines_pool_id_inventory_pools"),
        ),
        sa.PrimaryKeyConstraint("hold_id", "pool_id", name=op.f("pk_inventory_hold_lines")),
    )
    with op.batch_alter_table("inventory_hold_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_hold_lines_pool_id"), ["pool_id"], unique=False)

    op.create_table(
        "listings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("hold_ttl_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_listings_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listings")),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index("ix_listings_tenant_page", ["tenant_id", "created_at", "id"], unique=False)

    op.create_table(
        "bookings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("hold_id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_bookings_listing_id_listings")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_bookings_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_bookings_hold_id")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index("ix_bookings_tenant_listing", ["tenant_id", "listing_id"], unique=False)
        batch_op.create_index("ix_bookings_tenant_page", ["tenant_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_bookings_tenant_status", ["tenant_id", "status"], unique=False)

    op.create_table(
        "pools",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("sold >= 0 AND sold <= capacity", name=op.f("ck_pools_sold_within_capacity")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_pools_price_not_negative")),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_pools_listing_id_listings")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_pools_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pools")),
        sa.UniqueConstraint("listing_id", "code", name="uq_pools_listing_code"),
    )
    with op.batch_alter_table("pools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pools_listing_id"), ["listing_id"], unique=False)

    op.create_table(
        "booking_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_transitions_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_transitions")),
        sa.UniqueConstraint("booking_id", "seq", name="uq_booking_transitions_seq"),
    )
    with op.batch_alter_table("booking_transitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_transitions_booking_id"), ["booking_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("booking_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_transitions_booking_id"))

    op.drop_table("booking_transitions")
    with op.batch_alter_table("pools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pools_listing_id"))

    op.drop_table("pools")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_tenant_status")
        batch_op.drop_index("ix_bookings_tenant_page")
        batch_op.drop_index("ix_bookings_tenant_listing")

    op.drop_table("bookings")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index("ix_listings_tenant_page")

    op.drop_table("listings")
    with op.batch_alter_table("inventory_hold_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_hold_lines_pool_id"))

    op.drop_table("inventory_hold_lines")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_tenant_id"))

    op.drop_table("api_keys")
    op.drop_table("tenants")
    with op.batch_alter_table("inventory_pools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_pools_listing_id"))

    op.drop_table("inventory_pools")
    with op.batch_alter_table("inventory_holds", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_inventory_holds_listing_due",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(
            "ix_inventory_holds_due",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )

    op.drop_table("inventory_holds")
    op.drop_table("inventory_customer_units")
