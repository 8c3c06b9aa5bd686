"""Tables of the transactional outbox: CloudEvents-shaped records, and per-aggregate counters.

``outbox_sequences`` holds the last sequence number handed out per aggregate. Writers take the
next numbers with one upsert whose row lock lasts until they commit, so concurrent writers of
one aggregate queue there and the numbers stay gapless; the unique (aggregate_id, sequence)
on ``outbox`` is the backstop.
"""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Index, String, Table, UniqueConstraint, Uuid, text

from infrastructure.persistence.metadata import metadata

outbox = Table(
    "outbox",
    metadata,
    Column("id", Uuid, primary_key=True),  # the CloudEvent id
    Column("type", String(200), nullable=False),
    Column("source", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("time", DateTimeUTC, nullable=False),
    Column("data", JSON, nullable=False),
    Column("tenant_id", Uuid, nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("published_at", DateTimeUTC, nullable=True),  # set by the relay (a later job)
    UniqueConstraint("aggregate_id", "sequence", name="uq_outbox_aggregate_sequence"),
    CheckConstraint("sequence > 0", name="sequence_positive"),
    Index(
        "ix_outbox_unpublished",
        "time",
        postgresql_where=text("published_at IS NULL"),
        sqlite_where=text("published_at IS NULL"),
    ),
)

outbox_sequences = Table(
    "outbox_sequences",
    metadata,
    Column("aggregate_id", Uuid, primary_key=True),
    Column("last_sequence", BigInteger, nullable=False),
)
