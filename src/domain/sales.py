"""Sales per listing and per day, derived from the ledger and the bookings alone.

For each listing, day (UTC) and currency:

* ``units``: the units of the bookings confirmed that day (a later cancellation does not take
  them back: its money shows under ``refunds``);
* ``gross``: what the ``revenue`` account earned (confirmed bookings' payments);
* ``refunds``: what the ``refunds`` account gave back;
* ``fees``: what the payment provider kept (``stripe_fees``; 0 where the provider reported none);
* ``net``: ``gross - refunds - fees``, what the tenant keeps.

Each amount is a ledger account's movement on its normal side, so a reversal counts against
what it reverses, and the sums over every listing and day equal the accounts' balances. A
payment returned before it was ever earned (``payment_returned``) moves neither revenue nor
refunds and shows nowhere here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from domain.ledger import AccountKind, Side

# Which column each account's movements count in.
_COLUMN = {AccountKind.REVENUE: "gross", AccountKind.REFUNDS: "refunds", AccountKind.STRIPE_FEES: "fees"}
REPORTED_ACCOUNTS = frozenset(_COLUMN)


@dataclass(frozen=True, slots=True)
class LedgerMovement:
    """One ledger entry of a booking of ``listing_id``."""

    listing_id: UUID
    at: datetime
    account: AccountKind
    side: Side
    amount: int
    currency: str

    @property
    def signed(self) -> int:
        """Positive on the account's normal side."""
        return self.amount if self.side is self.account.normal_side else -self.amount


@dataclass(frozen=True, slots=True)
class UnitsSold:
    """A booking of ``listing_id`` confirmed ``at``, of ``units`` units priced in ``currency``."""

    listing_id: UUID
    at: datetime
    units: int
    currency: str


@dataclass(frozen=True, slots=True)
class SalesRow:
    listing_id: UUID
    day: date | None  # None: a total over the report's days
    currency: str
    units: int = 0
    gross: int = 0
    refunds: int = 0
    fees: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunds - self.fees


def _utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def sales_by_day(movements: Iterable[LedgerMovement], sold: Iterable[UnitsSold]) -> list[SalesRow]:
    """One row per listing, day and currency that had any sale or money, ordered by day, then
    listing, then currency; days are UTC days."""
    sums: dict[tuple[date, UUID, str], dict[str, int]] = {}
    for movement in movements:
        column = _COLUMN.get(movement.account)
        if column is not None:
            row = sums.setdefault((_utc_day(movement.at), movement.listing_id, movement.currency), {})
            row[column] = row.get(column, 0) + movement.signed
    for sale in sold:
        row = sums.setdefault((_utc_day(sale.at), sale.listing_id, sale.currency), {})
        row["units"] = row.get("units", 0) + sale.units
    return [SalesRow(listing, day, currency, **found) for (day, listing, currency), found in sorted(sums.items())]


def totals_by_listing(rows: Iterable[SalesRow]) -> list[SalesRow]:
    """The rows added up per listing and currency over their days (``day`` None)."""
    sums: dict[tuple[UUID, str], list[int]] = {}
    for row in rows:
        found = sums.setdefault((row.listing_id, row.currency), [0, 0, 0, 0])
        for n, value in enumerate((row.units, row.gross, row.refunds, row.fees)):
            found[n] += value
    return [SalesRow(listing, None, currency, *found) for (listing, currency), found in sorted(sums.items())]
