"""A flight's seat map (``infrastructure.persistence.seat_maps``): its cabins and seats, each
naming the pool that counts it. The features of a seat are stored as a comma-separated list."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)

from infrastructure.persistence.metadata import metadata

seat_cabins = Table(
    "seat_cabins",
    metadata,
    Column("listing_id", Uuid, ForeignKey("listings.id"), nullable=False),
    Column("code", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("position", Integer, nullable=False),
    Column("first_row", Integer, nullable=False),
    Column("last_row", Integer, nullable=False),
    Column("letters", String(32), nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("pool_id", Uuid, ForeignKey("pools.id"), nullable=False),
    PrimaryKeyConstraint("listing_id", "code", name="pk_seat_cabins"),
)

seats = Table(
    "seats",
    metadata,
    Column("pool_id", Uuid, ForeignKey("pools.id"), primary_key=True),
    Column("listing_id", Uuid, ForeignKey("listings.id"), nullable=False),
    Column("cabin", String(32), nullable=False),
    Column("row", Integer, nullable=False),
    Column("letter", String(1), nullable=False),
    Column("features", String(64), nullable=False),
    Column("surcharge", BigInteger, nullable=False),
    UniqueConstraint("listing_id", "row", "letter", name="uq_seats_listing_seat"),
)
