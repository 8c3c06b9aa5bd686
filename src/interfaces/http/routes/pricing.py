"""Price plans of listings, and quotes: a basket's itemised price, and holding it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody

from application.use_cases.pricing.create_quote import CreateQuoteHandler, GetQuoteHandler
from application.use_cases.pricing.hold_quote import HoldQuote, HoldQuoteHandler
from application.use_cases.pricing.set_pricing import GetPricingHandler, SetPricingHandler
from domain.identity import Actor
from domain.permissions import Permission
from domain.tenants import Tenant
from domain.users import customer_ref_of
from interfaces.http.dependencies import use_case
from interfaces.http.locations import CREATED_HEADERS, created
from interfaces.http.openapi import QUEUE_PASS_CODES, problems
from interfaces.http.permissions import requires
from interfaces.http.pricing_schemas import PricingIn, PricingOut, QuoteHoldOut, QuoteIn, QuoteOut
from interfaces.http.text import QUEUE_PASS_PATTERN


class PricingController(Controller):
    path = "/listings"
    tags = ["pricing"]

    @put(
        "/{listing_id:uuid}/pricing",
        opt=requires(Permission.CATALOGUE_WRITE),
        dependencies={"set_pricing": use_case("set_pricing")},
        responses=problems("not_found", "seasons_overlap"),
    )
    async def set(
        self,
        listing_id: FromPath[UUID],
        data: JSONBody[PricingIn],
        tenant: NamedDependency[Tenant],
        set_pricing: NamedDependency[SetPricingHandler],
    ) -> PricingOut:
        """Replace the listing's price plan (its ``version`` goes up by one). The pools' unit
        prices are the base; ``currency`` must be the pools'. Seasons of one scope (every pool,
        or a common pool) must not overlap: 400 ``seasons_overlap``."""
        plan = await set_pricing(data.command(tenant.id, listing_id))
        return PricingOut.of(listing_id, plan)

    @get(
        "/{listing_id:uuid}/pricing",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"get_pricing": use_case("get_pricing")},
        responses=problems("not_found"),
    )
    async def show(
        self,
        listing_id: FromPath[UUID],
        tenant: NamedDependency[Tenant],
        get_pricing: NamedDependency[GetPricingHandler],
    ) -> PricingOut:
        """The listing's price plan; ``version`` 0 and no rules when it has none."""
        return PricingOut.of(listing_id, await get_pricing(tenant.id, listing_id))


class QuoteController(Controller):
    path = "/quotes"
    tags = ["quotes"]

    @post(
        "/",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"create_quote": use_case("create_quote")},
        response_headers=CREATED_HEADERS,
        responses=problems("not_found", "customer_mismatch"),
    )
    async def create(
        self,
        data: JSONBody[QuoteIn],
        actor: NamedDependency[Actor],
        create_quote: NamedDependency[CreateQuoteHandler],
        now: NamedDependency[datetime],
    ) -> Response[QuoteOut]:
        """The basket's itemised price now, holding nothing, promised until ``expires_at``
        (``HOLDFAST_QUOTE_TTL_SECONDS``). A signed-in customer quotes for themself."""
        quote = await create_quote(data.command(actor))
        return created(QuoteOut.of(quote, now), "quotes", quote.id)

    @get(
        "/{quote_id:uuid}",
        opt=requires(Permission.CATALOGUE_READ),
        dependencies={"get_quote": use_case("get_quote")},
        responses=problems("not_found"),
    )
    async def show(
        self,
        quote_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        get_quote: NamedDependency[GetQuoteHandler],
        now: NamedDependency[datetime],
    ) -> QuoteOut:
        """A signed-in customer sees only their own quotes (another's is not found)."""
        return QuoteOut.of(await get_quote(actor.tenant.id, quote_id, customer_ref_of(actor)), now)

    @post(
        "/{quote_id:uuid}/hold",
        opt=requires(Permission.HOLDS_PLACE),
        status_code=200,
        dependencies={"hold_quote": use_case("hold_quote")},
        responses=problems(
            "not_found",
            "quote_expired",
            "insufficient_inventory",
            "customer_limit_exceeded",
            "hold_id_conflict",
            "inventory_unavailable",
            *QUEUE_PASS_CODES,
        ),
    )
    async def hold(
        self,
        quote_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        hold_quote: NamedDependency[HoldQuoteHandler],
        now: NamedDependency[datetime],
        queue_pass: Annotated[str | None, HeaderParameter(name="X-Queue-Pass", pattern=QUEUE_PASS_PATTERN)] = None,
    ) -> QuoteHoldOut:
        """Lock the quote's price and units until the quote expires: a hold (the same rules as
        ``POST /v1/holds``) for the quote's customer, ending by the quote's ``expires_at``.
        Holding again returns the same hold. A booking of it charges the quote's ``total``.
        An expired quote: 409 ``quote_expired``."""
        command = HoldQuote(actor.tenant.id, quote_id, customer_ref_of(actor), actor.subject, queue_pass)
        held = await hold_quote(command)
        return QuoteHoldOut.of(held.quote, held.hold, now)
