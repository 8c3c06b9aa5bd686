"""Tables of the SQL inventory engine, on the shared metadata (Alembic migrates from these).

The CHECK constraints on ``inventory_pools`` are the last line of defence: whatever the code
does, the database itself refuses a pool with ``held + sold > capacity``.

Hold lines live in a child table rather than a JSON column: reconciliation rebuilds a pool's
counters from its holds with a portable ``SUM ... GROUP BY pool_id``, and each line's pool is
a foreign key, so a line can never point at a pool that does not exist.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Uuid,
    text,
)

from domain.inventory import HoldStatus
from infrastructure.persistence.metadata import metadata

_STATUSES = ", ".join(f"'{status.value}'" for status in HoldStatus)

inventory_pools = Table(
    "inventory_pools",
    metadata,
    Column("pool_id", Uuid, primary_key=True),
    Column("listing_id", Uuid, nullable=False, index=True),
    Column("capacity", Integer, nullable=False),
    Column("held", Integer, nullable=False, server_default=text("0")),
    Column("sold", Integer, nullable=False, server_default=text("0")),
    CheckConstraint("held >= 0", name="held_not_negative"),
    CheckConstraint("sold >= 0", name="sold_not_negative"),
    CheckConstraint("held + sold <= capacity", name="within_capacity"),
)

inventory_holds = Table(
    "inventory_holds",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("listing_id", Uuid, nullable=False),
    Column("customer_ref", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
    # Only active holds can fall due; partial indexes stay small as ended holds pile up.
    Index(
        "ix_inventory_holds_due",
        "expires_at",
        postgresql_where=text("status = 'active'"),
        sqlite_where=text("status = 'active'"),
    ),
    Index(
        "ix_inventory_holds_listing_due",
        "listing_id",
        "expires_at",
        postgresql_where=text("status = 'active'"),
        sqlite_where=text("status = 'active'"),
    ),
)

inventory_hold_lines = Table(
    "inventory_hold_lines",
    metadata,
    Column("hold_id", Uuid, ForeignKey("inventory_holds.id"), primary_key=True),
    Column("pool_id", Uuid, ForeignKey("inventory_pools.pool_id"), primary_key=True, index=True),
    Column("position", SmallInteger, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", BigInteger, nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

inventory_customer_units = Table(
    "inventory_customer_units",
    metadata,
    Column("listing_id", Uuid, primary_key=True),
    Column("customer_ref", String(200), primary_key=True),
    Column("units", Integer, nullable=False),
    CheckConstraint("units >= 0", name="units_not_negative"),
)

# Children before parents: the order to empty them in.
INVENTORY_TABLES = (inventory_hold_lines, inventory_holds, inventory_customer_units, inventory_pools)
