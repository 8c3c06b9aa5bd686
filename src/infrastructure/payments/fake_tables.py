"""The fake gateway's own tables in the system of record: its "Stripe account".

Every process of a deployment sees the same intents, charges, refunds, idempotency keys and
queued webhooks, so a checkout on one API can be paid, cancelled or expired on another. The
fake plays a third party: it writes in transactions of its own, never in the caller's unit of
work, and nothing of Holdfast's own tables refers to these.
"""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from infrastructure.persistence.metadata import metadata

fake_payment_intents = Table(
    "fake_payment_intents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("client_secret", String(128), nullable=False),
    Column("status", String(32), nullable=False),
    Column("latest_charge", String(64), nullable=True),
    Column("last_error", JSON, nullable=True),
    Column("created", BigInteger, nullable=False),  # unix seconds, as Stripe writes it
)

fake_payment_charges = Table(
    "fake_payment_charges",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("intent_id", String(64), ForeignKey("fake_payment_intents.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("refunded", BigInteger, nullable=False),
    Column("created", BigInteger, nullable=False),
)

fake_payment_refunds = Table(
    "fake_payment_refunds",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("intent_id", String(64), ForeignKey("fake_payment_intents.id"), nullable=False),
    Column("number", Integer, nullable=False),  # 1, 2, ... per intent: Stripe lists newest first
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(32), nullable=False),
    Column("metadata", JSON, nullable=False),
    UniqueConstraint("intent_id", "number", name="uq_fake_payment_refunds_intent_number"),
)

# Stripe keeps the first answer to an idempotency key (refusals too) and replays it.
fake_payment_replies = Table(
    "fake_payment_replies",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("request", Text, nullable=False),  # canonical JSON of the call and its arguments
    Column("reply", JSON, nullable=True),  # null only inside the transaction that claims the key
)

# The webhooks refunds and cancellations caused, oldest first, until someone takes them.
fake_payment_webhooks = Table(
    "fake_payment_webhooks",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("payload", LargeBinary, nullable=False),
    Column("signature", String(200), nullable=False),
    # When it was queued (retention: one nobody takes, as in a deployment with no "Stripe" taking
    # them, is purged after HOLDFAST_RETENTION_DAYS). Null for rows queued before it was recorded.
    Column("queued_at", DateTimeUTC, nullable=True),
)
