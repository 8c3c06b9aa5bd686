"""Importing this registers every table of the system of record on the one ``metadata``
(Alembic's autogenerate and the migration tests compare against it)."""

import infrastructure.inventory.sql_tables
import infrastructure.payments.fake_tables
import infrastructure.persistence.audit_tables
import infrastructure.persistence.booking_change_tables
import infrastructure.persistence.delivery_tables
import infrastructure.persistence.idempotency
import infrastructure.persistence.identity_tables
import infrastructure.persistence.job_tables
import infrastructure.persistence.journal_tables
import infrastructure.persistence.ledger_tables
import infrastructure.persistence.outbox_tables
import infrastructure.persistence.ownership_tables
import infrastructure.persistence.pricing_tables
import infrastructure.persistence.queue_tables
import infrastructure.persistence.seat_map_tables
import infrastructure.persistence.stay_tables
import infrastructure.persistence.tables
import infrastructure.persistence.webhook_tables  # noqa: F401
from infrastructure.persistence.metadata import metadata

__all__ = ["metadata"]
