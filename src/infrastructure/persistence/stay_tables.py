"""Tables of stays (domain.stays): room types, their rules, and owner blocks.

A room type's nights are rows of ``pools`` (``night``, ``room_type_id``); counters stay the
inventory engine's.
"""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)

from infrastructure.persistence.metadata import metadata

room_types = Table(
    "room_types",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("listing_id", Uuid, ForeignKey("listings.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("units", Integer, nullable=False),
    Column("base_price", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    UniqueConstraint("listing_id", "code", name="uq_room_types_listing_code"),
    CheckConstraint("units >= 1", name="room_units_positive"),
    CheckConstraint("base_price >= 0", name="room_price_not_negative"),
)

# A property's rules (room_type_id NULL) or a room type's own; weekdays as 7-bit masks (bit 0:
# Monday). ``scope`` is the room type's id, or the listing's for the property's row, so that one
# unique key covers both (NULLs are never equal in a unique constraint).
stay_rules = Table(
    "stay_rules",
    metadata,
    Column("listing_id", Uuid, ForeignKey("listings.id"), primary_key=True),
    Column("scope", Uuid, primary_key=True),
    Column("room_type_id", Uuid, ForeignKey("room_types.id"), nullable=True),
    Column("min_nights", Integer, nullable=False),
    Column("max_nights", Integer, nullable=False),
    Column("buffer_days", Integer, nullable=False),
    Column("check_in_days", Integer, nullable=False),
    Column("check_out_days", Integer, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
)

stay_blocks = Table(
    "stay_blocks",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("listing_id", Uuid, ForeignKey("listings.id"), nullable=False),
    Column("room_type_id", Uuid, ForeignKey("room_types.id"), nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("units", Integer, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Index("ix_stay_blocks_room_start", "room_type_id", "start"),
    CheckConstraint('"end" > start', name="block_ends_after_start"),
    CheckConstraint("units >= 1", name="block_units_positive"),
)
