"""Price plans (one row per listing: its rules as JSON and their version) and quotes.

A quote keeps its whole breakdown as JSON: it is what was promised, never recomputed. The
hold a quote locks is unique (one hold, one quote) and indexed: a booking looks it up.
"""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, String, Table, Uuid

from infrastructure.persistence.metadata import metadata

listing_prices = Table(
    "listing_prices",
    metadata,
    Column("listing_id", Uuid, ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("rules", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
)

quotes = Table(
    "quotes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("listing_id", Uuid, ForeignKey("listings.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("customer_ref", String(200), nullable=False),
    Column("lines", JSON, nullable=False),  # [[pool id, quantity], ...] as asked
    Column("currency", String(3), nullable=False),
    Column("breakdown", JSON, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("pricing_version", Integer, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("expires_at", DateTimeUTC, nullable=False),
    Column("hold_id", Uuid, nullable=True, unique=True),
)
