"""Tables of the system of record: tenants, keys, listings, pools and bookings.

Rows stay here; repositories map them to and from domain objects. Timestamps use
advanced-alchemy's ``DateTimeUTC`` so SQLite hands back aware UTC datetimes like Postgres.
"""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
)

from infrastructure.persistence.metadata import metadata

# ``sort=name`` orders by code point on both databases: SQLite's default, Postgres's "C" collation.
SORT_NAME = String(800).with_variant(String(800, collation="C"), "postgresql")

tenants = Table(
    "tenants",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTimeUTC, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("label", String(100), nullable=False),
    Column("scopes", JSON, nullable=False, default=list),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("revoked_at", DateTimeUTC, nullable=True),
    Column("role", String(20), nullable=False, server_default="admin"),  # a domain.roles.Role
    Column("expires_at", DateTimeUTC, nullable=True),  # ends by itself then (None: never)
)

listings = Table(
    "listings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("starts_at", DateTimeUTC, nullable=True),
    Column("per_customer_limit", Integer, nullable=True),
    Column("hold_ttl_seconds", Integer, nullable=False),
    Column("full_refund_hours", Integer, nullable=False, server_default="48"),
    Column("late_refund_percent", Integer, nullable=False, server_default="50"),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("version", Integer, nullable=False),
    # The waiting room (domain.waiting_room.QueueSettings); off unless a PATCH turns it on.
    Column("queue_enabled", Boolean, nullable=False, server_default=false()),
    Column("queue_batch_size", Integer, nullable=False, server_default="100"),
    Column("queue_period_seconds", Integer, nullable=False, server_default="10"),
    Column("queue_pass_ttl_seconds", Integer, nullable=False, server_default="300"),
    Column("queue_holds_per_pass", Integer, nullable=False, server_default="1"),
    Index("ix_listings_tenant_page", "tenant_id", "created_at", "id"),
    # The catalogue (migration 0028): what each kind says about itself, the archive, and what
    # search and sorting read (kept by the repository from the domain: domain.listing_details).
    Column("details", JSON, nullable=True),
    Column("archived_at", DateTimeUTC, nullable=True),
    Column("search_text", Text, nullable=False, server_default=""),
    Column("sort_name", SORT_NAME, nullable=False, server_default=""),
    Index("ix_listings_tenant_kind_page", "tenant_id", "kind", "created_at", "id"),
    Index("ix_listings_tenant_starts", "tenant_id", "starts_at", "id"),
    Index("ix_listings_tenant_name", "tenant_id", "sort_name", "id"),
    # ``q``: a pg_trgm GIN index on Postgres (substring matches); on SQLite a plain one of the
    # same name, which cannot serve them (migration 0028 says why it is there at all).
    Index(
        "ix_listings_search_trgm",
        "search_text",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    ),
)

pools = Table(
    "pools",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("listing_id", Uuid, ForeignKey("listings.id"), nullable=False, index=True),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("capacity", Integer, nullable=False),
    # Units sold by confirmed bookings, as recorded here: the database refuses more than the
    # sellable capacity (capacity + overbooking).
    Column("sold", Integer, nullable=False, default=0),
    Column("unit_price", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("version", Integer, nullable=False),
    Column("night", Date, nullable=True),
    # Units sellable beyond capacity (airline-style overbooking; 0: off). Migration 0023.
    Column("overbooking", Integer, nullable=False, server_default="0"),
    # A stay's night pool: its room type (infrastructure/persistence/stay_tables.py); no foreign
    # key, so that this table needs no rebuild on SQLite (its catalogue triggers stay in place).
    Column("room_type_id", Uuid, nullable=True),
    Column("archived_at", DateTimeUTC, nullable=True),  # archived: no new holds (migration 0028)
    UniqueConstraint("listing_id", "code", name="uq_pools_listing_code"),
    Index("ix_pools_listing_night", "listing_id", "night"),
    Index("ix_pools_room_type_night", "room_type_id", "night"),
    CheckConstraint("sold >= 0 AND sold <= capacity + overbooking", name="sold_within_sellable"),
    CheckConstraint("overbooking >= 0", name="overbooking_not_negative"),
    CheckConstraint("unit_price >= 0", name="price_not_negative"),
)

# One row: a number every write to the tables above that the hold path caches (keys, tenants,
# listings, pools but for their sold count) moves, by trigger, in the writing transaction. The
# sql engine's catalogue cache reads it to know when to forget (infrastructure/catalogue/sql_cache.py).
catalogue_version = Table(
    "catalogue_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("hold_id", Uuid, nullable=False, unique=True),
    Column("listing_id", Uuid, ForeignKey("listings.id"), nullable=False),
    Column("customer_ref", String(200), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("total_amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(32), nullable=False),  # the lifecycle: domain.bookings.BookingStatus
    Column("payment_status", String(32), nullable=False),  # the money: domain.bookings.PaymentStatus
    Column("payment_intent_id", String(255), nullable=True, unique=True),
    Column("client_secret", String(255), nullable=True),
    Column("payment_due_at", DateTimeUTC, nullable=True),
    Column("amount_captured", BigInteger, nullable=False, server_default="0"),
    Column("amount_refunded", BigInteger, nullable=False, server_default="0"),
    Column("payment_error", String(500), nullable=True),
    Column("contact_email", String(254), nullable=True),  # personal data: never logged unmasked
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("amount_refunded >= 0 AND amount_refunded <= amount_captured", name="refunds_within_capture"),
    Index("ix_bookings_tenant_page", "tenant_id", "created_at", "id"),
    Index("ix_bookings_tenant_status", "tenant_id", "status"),
    Index("ix_bookings_tenant_payment_status", "tenant_id", "payment_status"),
    Index("ix_bookings_tenant_listing", "tenant_id", "listing_id"),
    Index("ix_bookings_payment_due", "status", "payment_due_at"),
)

booking_transitions = Table(
    "booking_transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("booking_id", Uuid, ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("from_status", String(32), nullable=True),
    Column("to_status", String(32), nullable=False),
    Column("at", DateTimeUTC, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
    UniqueConstraint("booking_id", "seq", name="uq_booking_transitions_seq"),
)

# A refund we asked the gateway for. "requested" rows are written before the gateway call, so
# a crash in between leaves a trace that a retry (with the same idempotency key) completes.
refunds = Table(
    "refunds",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("booking_id", Uuid, ForeignKey("bookings.id"), nullable=False, index=True),
    Column("gateway_refund_id", String(255), nullable=True, unique=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(32), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    CheckConstraint("amount > 0", name="amount_positive"),
)

# Disputes the payment provider reported, once each (its id is unique).
disputes = Table(
    "disputes",
    metadata,
    Column("gateway_dispute_id", String(255), primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False),
    Column("booking_id", Uuid, ForeignKey("bookings.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("status", String(64), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
)
