"""The waiting room's tables (the SQL adapter, ``infrastructure.waiting_room.sql``).

A room row per listing holds its next place number and its last release, and is locked by
every write to the listing's queue: joins, leaves, releases and pass uses of one listing are
serialized (SQLite: the one writer already is). A ticket is one identity's place; a pass's
holds are counted on its ticket, each hold id once (a retried hold is not counted again).
"""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Uuid

from infrastructure.persistence.metadata import metadata

queue_rooms = Table(
    "queue_rooms",
    metadata,
    Column("listing_id", Uuid, primary_key=True),
    Column("next_seq", BigInteger, nullable=False),
    Column("released_at", DateTimeUTC, nullable=True),
)

queue_tickets = Table(
    "queue_tickets",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("listing_id", Uuid, ForeignKey("queue_rooms.listing_id", ondelete="CASCADE"), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),  # waiting or admitted (expired: by pass_expires_at)
    Column("joined_at", DateTimeUTC, nullable=False),
    Column("admitted_at", DateTimeUTC, nullable=True),
    Column("pass_expires_at", DateTimeUTC, nullable=True),
    Column("holds_used", Integer, nullable=False, server_default="0"),
    Index("ix_queue_tickets_line", "listing_id", "state", "seq"),
    Index("ix_queue_tickets_subject", "listing_id", "subject"),
)

queue_pass_holds = Table(
    "queue_pass_holds",
    metadata,
    Column("hold_id", Uuid, primary_key=True),
    Column("ticket_id", Uuid, ForeignKey("queue_tickets.id", ondelete="CASCADE"), nullable=False, index=True),
)
