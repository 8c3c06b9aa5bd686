"""SQL repositories of price plans and quotes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFoundError
from domain.pricing import PricePlan
from domain.pricing_codec import breakdown_from_dict, breakdown_to_dict, rules_from_dict, rules_to_dict
from domain.quotes import Quote
from infrastructure.persistence.pricing_tables import listing_prices, quotes
from infrastructure.persistence.upsert import insert_for


class SqlPricePlanRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, tenant_id: UUID, listing_id: UUID) -> PricePlan | None:
        statement = select(listing_prices).where(
            listing_prices.c.listing_id == listing_id, listing_prices.c.tenant_id == tenant_id
        )
        row = (await self._session.execute(statement)).mappings().first()
        if row is None:
            return None
        rules = rules_from_dict(row["rules"])
        return PricePlan(row["tenant_id"], row["listing_id"], row["currency"], rules, row["version"], row["updated_at"])

    async def put(self, plan: PricePlan) -> None:
        values = {
            "listing_id": plan.listing_id,
            "tenant_id": plan.tenant_id,
            "currency": plan.currency,
            "rules": rules_to_dict(plan.rules),
            "version": plan.version,
            "updated_at": plan.updated_at,
        }
        statement = insert_for(self._session, listing_prices).values(**values)
        changed = {key: value for key, value in values.items() if key != "listing_id"}
        await self._session.execute(statement.on_conflict_do_update(index_elements=["listing_id"], set_=changed))


class SqlQuoteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, tenant_id: UUID, quote_id: UUID) -> Quote:
        statement = select(quotes).where(quotes.c.id == quote_id, quotes.c.tenant_id == tenant_id)
        row = (await self._session.execute(statement)).mappings().first()
        if row is None:
            raise NotFoundError("quote", quote_id)
        return _quote(row)

    async def set_hold(self, quote_id: UUID, hold_id: UUID) -> None:
        statement = update(quotes).where(quotes.c.id == quote_id, quotes.c.hold_id.is_(None)).values(hold_id=hold_id)
        await self._session.execute(statement)

    async def by_hold(self, tenant_id: UUID, hold_id: UUID) -> Quote | None:
        statement = select(quotes).where(quotes.c.hold_id == hold_id, quotes.c.tenant_id == tenant_id)
        row = (await self._session.execute(statement)).mappings().first()
        return None if row is None else _quote(row)


def quote_row(quote: Quote) -> dict[str, Any]:
    return {
        "id": quote.id,
        "tenant_id": quote.tenant_id,
        "listing_id": quote.listing_id,
        "customer_ref": quote.customer_ref,
        "lines": [[str(pool_id), quantity] for pool_id, quantity in quote.lines],
        "currency": quote.currency,
        "breakdown": breakdown_to_dict(quote.breakdown),
        "total": quote.breakdown.total,
        "pricing_version": quote.pricing_version,
        "created_at": quote.created_at,
        "expires_at": quote.expires_at,
        "hold_id": quote.hold_id,
    }


def _quote(row: Any) -> Quote:
    return Quote(
        id=row["id"],
        tenant_id=row["tenant_id"],
        listing_id=row["listing_id"],
        customer_ref=row["customer_ref"],
        lines=tuple((UUID(pool_id), quantity) for pool_id, quantity in row["lines"]),
        currency=row["currency"],
        breakdown=breakdown_from_dict(row["breakdown"]),
        pricing_version=row["pricing_version"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        hold_id=row["hold_id"],
    )
