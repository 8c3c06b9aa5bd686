"""Mapping between the SQL inventory engine's rows and domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from domain.inventory import Hold, HoldLine, HoldStatus, PoolCounters


def utc(value: datetime) -> datetime:
    """An aware UTC datetime, going in or coming out.

    SQLite keeps ``DateTime(timezone=True)`` as text without an offset: values are written in
    UTC so that text comparisons order them right, and read back as UTC. Postgres returns
    aware values already; converting them changes nothing.
    """
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def hold_row(hold: Hold) -> dict[str, Any]:
    return {
        "id": hold.id,
        "tenant_id": hold.tenant_id,
        "listing_id": hold.listing_id,
        "customer_ref": hold.customer_ref,
        "currency": hold.currency,
        "status": hold.status.value,
        "created_at": utc(hold.created_at),
        "expires_at": utc(hold.expires_at),
    }


def line_rows(hold: Hold) -> list[dict[str, Any]]:
    """Lines keep their position, so a hold reads back exactly as it was placed."""
    return [
        {
            "hold_id": hold.id,
            "pool_id": line.pool_id,
            "position": position,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
        }
        for position, line in enumerate(hold.lines)
    ]


def hold_from_rows(row: Any, lines: Sequence[Any]) -> Hold:
    return Hold(
        id=row.id,
        tenant_id=row.tenant_id,
        listing_id=row.listing_id,
        customer_ref=row.customer_ref,
        lines=tuple(HoldLine(line.pool_id, line.quantity, line.unit_price) for line in lines),
        currency=row.currency,
        created_at=utc(row.created_at),
        expires_at=utc(row.expires_at),
        status=HoldStatus(row.status),
    )


def pool_from_row(row: Any) -> PoolCounters:
    return PoolCounters(row.pool_id, row.listing_id, row.capacity, row.held, row.sold)
