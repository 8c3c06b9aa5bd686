"""Rows that must go out in order: a chain of rows with the same key columns, ordered by
``sequence`` (their events' order within one aggregate). Webhook deliveries chain by endpoint
and aggregate, customer notifications by booking."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Table, exists


def waits_behind_earlier(table: Table, chain: Sequence[str], pending: str) -> ColumnElement[bool]:
    """True while an earlier row of the same chain is still ``pending``: due, waiting for a
    retry, or leased by a sender that has not finished it. Claims that exclude such rows send
    a chain in order whatever the number of concurrent senders: the earlier row stays pending
    until its sender records it sent (or dead). Index the chain columns and ``sequence``."""
    earlier = table.alias("earlier")
    return exists().where(
        *(earlier.c[name] == table.c[name] for name in chain),
        earlier.c.sequence < table.c.sequence,
        earlier.c.status == pending,
    )
