"""Quotes: a basket priced now, kept for a while, that a hold can lock.

A quote reserves nothing. Held (``POST /v1/quotes/{id}/hold``), it gets one hold whose id
derives from the quote's (a name-based, version-5 UUID), so holding twice asks the engine for
the same hold and gets it back; a booking from that hold is charged the quote's total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from domain.errors import ConflictError
from domain.inventory import Hold
from domain.money import Money
from domain.pricing import PriceBreakdown

_QUOTE_HOLD_NAMESPACE = UUID("2d6b0f43-7a51-4c8e-b1f9-93e0c5a7d412")


class QuoteExpiredError(ConflictError):
    """The quote's time is up: its price is no longer promised, and it cannot be held."""

    code = "quote_expired"

    def __init__(self, quote_id: UUID) -> None:
        super().__init__(f"quote {quote_id} has expired; ask for a new one")
        self.quote_id = quote_id


def hold_id_for_quote(quote_id: UUID) -> UUID:
    return uuid5(_QUOTE_HOLD_NAMESPACE, str(quote_id))


def may_be_quoted(hold_id: UUID) -> bool:
    """Whether a hold with this id may have come from a quote: only name-based (version 5)
    ids can, so a booking of any other hold skips looking for a quote."""
    return hold_id.version == 5


@dataclass(frozen=True, slots=True)
class Quote:
    id: UUID
    tenant_id: UUID
    listing_id: UUID
    customer_ref: str
    lines: tuple[tuple[UUID, int], ...]  # (pool id, quantity), as asked
    currency: str
    breakdown: PriceBreakdown
    pricing_version: int  # of the listing's price plan it was priced with (0: none)
    created_at: datetime
    expires_at: datetime
    hold_id: UUID | None = None  # set once held

    @property
    def total(self) -> Money:
        return Money(self.breakdown.total, self.currency)

    @property
    def locked_hold_id(self) -> UUID:
        """The one hold this quote may have."""
        return hold_id_for_quote(self.id)

    def locks(self, hold: Hold) -> bool:
        """Whether ``hold`` is this quote's: its id, listing, customer and lines. A hold that
        only took the quote's hold id (its id can be derived by anyone who knows the quote's)
        with other lines is not, and is charged its own lines' prices."""
        lines = sorted((line.pool_id, line.quantity) for line in hold.lines)
        return (hold.id, hold.tenant_id, hold.listing_id, hold.customer_ref, lines) == (
            self.locked_hold_id,
            self.tenant_id,
            self.listing_id,
            self.customer_ref,
            sorted(self.lines),
        )

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds until the quote expires; ``QuoteExpiredError`` when none is left."""
        left = int((self.expires_at - now).total_seconds())
        if left < 1:
            raise QuoteExpiredError(self.id)
        return left
