"""idempotency keys stored as their SHA-256 (the key seals the stored response body); when the
fake gateway queued each webhook (retention)

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03

Records made before this revision name their key in the clear; they are renamed to the key's
SHA-256 (what the store looks records up by from now on), so a client retrying within the TTL
across the upgrade still gets its replay. Their bodies stay unsealed (and are replayed as they
are) until they expire. The downgrade cannot recover plain keys from hashes: it deletes the
records, so a retry after a downgrade runs again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_keys = sa.table("idempotency_keys", sa.column("tenant_id", sa.Uuid()), sa.column("key", sa.String(255)))
BATCH = 1000


def upgrade() -> None:
    op.add_column("fake_payment_webhooks", sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_keys.c.tenant_id, _keys.c.key)).all()
    for start in range(0, len(rows), BATCH):
        for tenant_id, key in rows[start : start + BATCH]:
            named = hashlib.sha256(key.encode()).hexdigest()
            where = (_keys.c.tenant_id == tenant_id) & (_keys.c.key == key)
            connection.execute(sa.update(_keys).where(where).values(key=named))


def downgrade() -> None:
    op.execute(sa.delete(_keys))
    with op.batch_alter_table("fake_payment_webhooks") as batch:
        batch.drop_column("queued_at")
