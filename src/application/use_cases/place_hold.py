"""Place a hold: reserve units of one or more pools of a listing, all or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.ports.catalogue import CatalogueCache
from application.ports.clock import Clock
from application.ports.ids import IdGenerator
from application.ports.inventory import InventoryEngine
from application.ports.metrics import Metrics
from application.use_cases.queue_gate import QueueGate
from domain.errors import DomainError, InvalidValueError, NotFoundError
from domain.inventory import Hold, HoldLine
from domain.listings import Pool
from domain.text import check_line


@dataclass(frozen=True, slots=True)
class PlaceHold:
    tenant_id: UUID
    listing_id: UUID
    customer_ref: str
    lines: tuple[tuple[UUID, int], ...]
    hold_id: UUID | None = None
    ttl_seconds: int | None = None
    subject: str = ""  # the actor's identity: what a queue pass is checked against
    queue_pass: str | None = None  # the X-Queue-Pass header, for a listing in queue mode
    # One more line, "any one of these (pool, quantity)", the engine picking the first free in
    # this order, in the same atomic step (``InventoryEngine.place_hold``): a seat of a cabin.
    choice: tuple[tuple[UUID, int], ...] = ()
    # Server-set unit prices, one a line (a stay's nights as priced, its buffer nights at 0);
    # empty: each line at its pool's current unit price. Never from a client's body.
    unit_prices: tuple[int, ...] = ()
    not_after: datetime | None = None  # the hold expires by then at the latest (a quote's expiry)

    def __post_init__(self) -> None:
        check_line("customer_ref", self.customer_ref)
        if self.unit_prices and len(self.unit_prices) != len(self.lines):
            raise InvalidValueError("unit_prices", "must price every line or none")


class PlaceHoldHandler:
    """Rules:

    * every pool must belong to the listing (else ``NotFoundError``), each at most once;
    * an archived listing or pool takes no new holds (``ListingArchivedError``,
      ``PoolArchivedError``), as the catalogue cache has it;
    * the hold lasts the listing's hold TTL, or less when the client asks for less, and ends by
      ``not_after`` when that comes first (a hold from a quote never outlives the quote);
    * prices are locked at the pools' current unit prices (or at the ``unit_prices`` a use
      case set, such as a stay hold's);
    * while the listing's queue mode is on, the hold needs a valid queue pass of the actor's
      identity, and counts against it (``QueueGate``); a hold the engine refuses is not counted;
    * the engine reserves all lines or none and enforces the listing's per-customer limit in
      the same atomic step; a retry with the same hold id returns the existing hold;
    * a ``choice`` line's candidates are pools of the listing too, priced alike; the engine
      picks one of them in the same step.

    Nothing is written to the system of record here, and the listing and its pools come from
    the catalogue cache (fresh within its bound): with the Redis engine the hold path touches
    Redis alone. Every outcome is counted: placed, or rejected by its error code.
    """

    def __init__(
        self,
        catalogue: CatalogueCache,
        engine: InventoryEngine,
        clock: Clock,
        ids: IdGenerator,
        metrics: Metrics,
        gate: QueueGate,
    ) -> None:
        self._catalogue, self._engine, self._clock, self._ids = catalogue, engine, clock, ids
        self._metrics, self._gate = metrics, gate

    async def __call__(self, command: PlaceHold) -> Hold:
        try:
            hold = await self._place(command)
        except DomainError as exc:
            self._metrics.hold_rejected(exc.code)
            raise
        self._metrics.hold_placed()
        return hold

    async def _place(self, command: PlaceHold) -> Hold:
        found = await self._catalogue.listing(command.tenant_id, command.listing_id)
        listing, pools = found.listing, found.pools
        listing.require_open()
        ttl = listing.hold_ttl_seconds
        if command.ttl_seconds is not None:
            if not 1 <= command.ttl_seconds <= ttl:
                raise InvalidValueError("ttl_seconds", f"must be between 1 and {ttl}")
            ttl = command.ttl_seconds
        now = self._clock.now()
        prices = command.unit_prices or (None,) * len(command.lines)
        lines = tuple(self._line(pools, line, price) for line, price in zip(command.lines, prices, strict=True))
        choice = tuple(self._line(pools, line, None) for line in command.choice)
        hold = Hold(
            id=command.hold_id or self._ids.new_id(),
            tenant_id=listing.tenant_id,
            listing_id=listing.id,
            customer_ref=command.customer_ref,
            lines=lines,
            currency=_currency(pools, lines),
            created_at=now,
            expires_at=_expiry(now, ttl, command.not_after),
        )
        fresh = command.hold_id is None  # an id made up here: no hold has it yet
        ticket = await self._gate.admit(listing, command.subject, command.queue_pass, hold.id, now)
        try:
            return await self._engine.place_hold(hold, listing.per_customer_limit, fresh_id=fresh, choice=choice)
        except DomainError:
            if ticket is not None:
                await self._gate.refund(listing, ticket, hold.id)
            raise

    @staticmethod
    def _line(pools: Mapping[UUID, Pool], line: tuple[UUID, int], price: int | None) -> HoldLine:
        pool_id, quantity = line
        pool = pools.get(pool_id)
        if pool is None:
            raise NotFoundError("pool", pool_id)
        pool.require_open()
        return HoldLine(pool_id, quantity, pool.unit_price.amount if price is None else price)


def _expiry(now: datetime, ttl: int, not_after: datetime | None) -> datetime:
    expires_at = now + timedelta(seconds=ttl)
    return expires_at if not_after is None else min(expires_at, not_after)


def _currency(pools: Mapping[UUID, Pool], lines: tuple[HoldLine, ...]) -> str:
    return pools[lines[0].pool_id].unit_price.currency if lines else "XXX"
