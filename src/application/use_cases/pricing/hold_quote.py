"""Hold a quote: lock its price and its units until the quote expires."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from application.ports.clock import Clock
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.place_hold import PlaceHold, PlaceHoldHandler
from application.use_cases.pricing.create_quote import GetQuoteHandler, quote_summary
from domain.inventory import Hold
from domain.quotes import Quote


@dataclass(frozen=True, slots=True)
class HoldQuote:
    tenant_id: UUID
    quote_id: UUID
    customer_ref: str | None = None  # a signed-in customer: only a quote of theirs (else not found)
    subject: str = ""  # the actor's identity, for the queue pass
    queue_pass: str | None = None


@dataclass(frozen=True, slots=True)
class HeldQuote:
    quote: Quote
    hold: Hold


class HoldQuoteHandler:
    """Rules:

    * only a quote that has not expired can be held (``QuoteExpiredError``, 409);
    * the hold is placed through ``PlaceHold``, so everything a hold obeys applies (the pools'
      units, the per-customer limit, the waiting room's pass, all or nothing); its customer is
      the quote's, and it expires with the quote at the latest (or sooner, by the listing's
      hold TTL);
    * a quote has one hold, whose id derives from the quote's: holding it again returns that
      same hold (the engine's retry with the same id), never a second one;
    * the quote records its hold id before the hold is placed (audited ``quote.hold``), so a
      hold never exists without its quote knowing it: a booking of that hold is charged the
      quote's total (``CreateBooking``), whatever the prices are by then.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, place_hold: PlaceHoldHandler) -> None:
        self._uow, self._clock, self._place_hold = uow, clock, place_hold

    async def __call__(self, command: HoldQuote) -> HeldQuote:
        quote = await GetQuoteHandler(self._uow)(command.tenant_id, command.quote_id, command.customer_ref)
        quote.seconds_left(self._clock.now())  # QuoteExpiredError when its time is up
        hold_id = quote.locked_hold_id
        if quote.hold_id is None:
            quote = replace(quote, hold_id=hold_id)
            async with self._uow() as uow:
                await uow.quotes.set_hold(quote.id, hold_id)
                await uow.audit.record("quote.hold", "quote", quote.id, after=quote_summary(quote))
                await uow.commit()
        hold = await self._place_hold(
            PlaceHold(
                tenant_id=quote.tenant_id,
                listing_id=quote.listing_id,
                customer_ref=quote.customer_ref,
                lines=quote.lines,
                hold_id=hold_id,
                subject=command.subject,
                queue_pass=command.queue_pass,
                not_after=quote.expires_at,
            )
        )
        return HeldQuote(quote, hold)
