"""Which owners (``user:<id>``, ``key:<id>``) own which listings (migration 0025)."""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Column, ForeignKey, Index, String, Table, Uuid

from infrastructure.persistence.metadata import metadata

listing_owners = Table(
    "listing_owners",
    metadata,
    Column("listing_id", Uuid, ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True),
    Column("subject", String(64), primary_key=True),  # domain.ownership.OwnerSubject, written out
    Column("tenant_id", Uuid, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Index("ix_listing_owners_subject", "tenant_id", "subject", "listing_id"),
)
