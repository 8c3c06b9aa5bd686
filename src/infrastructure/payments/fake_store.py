"""The fake gateway's records on one session of its own: intents with their charge and refunds,
the idempotency keys' first answers, and the webhooks waiting to be taken."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from application.ports.payments import IntentStatus, Refund, RefundStatus
from domain.errors import NotFoundError
from infrastructure.payments.fake_records import FakeCharge, FakeIntent
from infrastructure.payments.fake_tables import fake_payment_charges as charges
from infrastructure.payments.fake_tables import fake_payment_intents as intents
from infrastructure.payments.fake_tables import fake_payment_refunds as refunds
from infrastructure.payments.fake_tables import fake_payment_replies as replies
from infrastructure.payments.fake_tables import fake_payment_webhooks as webhooks
from infrastructure.payments.webhook_signing import SignedWebhook
from infrastructure.persistence.upsert import insert_for


class FakeStripeRecords:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def intent(self, intent_id: str, *, lock: bool = False) -> FakeIntent:
        """The intent with its latest charge and its refunds; ``lock``: until the transaction ends,
        so concurrent payments, cancellations and refunds of one intent take turns."""
        statement = select(intents).where(intents.c.id == intent_id)
        row = (await self._session.execute(statement.with_for_update() if lock else statement)).first()
        if row is None:
            raise NotFoundError("payment_intent", intent_id)
        return FakeIntent(
            row.id,
            int(row.amount),
            row.currency,
            dict(row.metadata),
            int(row.created),
            IntentStatus(row.status),
            await self._charge(row.latest_charge),
            None if row.last_error is None else dict(row.last_error),
            await self._refunds(row.id),
            row.client_secret,
        )

    async def add_intent(self, intent: FakeIntent) -> None:
        row = {
            "id": intent.id,
            "amount": intent.amount,
            "currency": intent.currency,
            "metadata": intent.metadata,
            "client_secret": intent.client_secret,
            "created": intent.created,
        }
        await self._session.execute(intents.insert().values(**row, **_intent_state(intent)))

    async def save_intent(self, intent: FakeIntent) -> None:
        await self._session.execute(update(intents).where(intents.c.id == intent.id).values(**_intent_state(intent)))

    async def add_charge(self, charge: FakeCharge) -> None:
        row = {
            "id": charge.id,
            "intent_id": charge.intent_id,
            "amount": charge.amount,
            "currency": charge.currency,
            "succeeded": charge.succeeded,
            "refunded": charge.refunded,
            "created": charge.created,
        }
        await self._session.execute(charges.insert().values(**row))

    async def add_refund(self, intent: FakeIntent, refund: Refund) -> None:
        """Appended to the intent's refunds, and counted on its charge."""
        assert intent.charge is not None
        row = {
            "id": refund.id,
            "intent_id": intent.id,
            "number": len(intent.refunds) + 1,
            "amount": refund.amount,
            "currency": refund.currency,
            "status": refund.status.value,
            "metadata": dict(refund.metadata),
        }
        await self._session.execute(refunds.insert().values(**row))
        intent.refunds.append(refund)
        intent.charge.refunded += refund.amount
        statement = update(charges).where(charges.c.id == intent.charge.id)
        await self._session.execute(statement.values(refunded=intent.charge.refunded))

    async def claim_key(self, key: str, request: str) -> bool:
        """True for the first caller of ``key``; on Postgres a concurrent second one waits here
        until the first commits its answer (or rolls back, and then claims it itself)."""
        statement = insert_for(self._session, replies).values(key=key, request=request, reply=None)
        return bool((await self._session.execute(statement.on_conflict_do_nothing())).rowcount == 1)

    async def keep_reply(self, key: str, reply: dict[str, Any]) -> None:
        await self._session.execute(update(replies).where(replies.c.key == key).values(reply=reply))

    async def reply(self, key: str) -> tuple[str, dict[str, Any]]:
        row = (await self._session.execute(select(replies).where(replies.c.key == key))).one()
        return row.request, dict(row.reply)

    async def queue(self, webhook: SignedWebhook, at: datetime) -> None:
        values = {"payload": webhook.payload, "signature": webhook.signature, "queued_at": at}
        await self._session.execute(webhooks.insert().values(**values))

    async def take_webhooks(self) -> list[SignedWebhook]:
        """Oldest first; concurrent takers (Postgres) take disjoint ones."""
        statement = select(webhooks).order_by(webhooks.c.seq).with_for_update(skip_locked=True)
        rows = (await self._session.execute(statement)).all()
        if rows:
            await self._session.execute(delete(webhooks).where(webhooks.c.seq.in_([row.seq for row in rows])))
        return [SignedWebhook(bytes(row.payload), row.signature) for row in rows]

    async def _charge(self, charge_id: str | None) -> FakeCharge | None:
        if charge_id is None:
            return None
        row = (await self._session.execute(select(charges).where(charges.c.id == charge_id))).one()
        return FakeCharge(
            row.id, int(row.amount), row.currency, row.intent_id, row.succeeded, int(row.created), int(row.refunded)
        )

    async def _refunds(self, intent_id: str) -> list[Refund]:
        statement = select(refunds).where(refunds.c.intent_id == intent_id).order_by(refunds.c.number)
        return [
            Refund(row.id, intent_id, int(row.amount), row.currency, RefundStatus(row.status), dict(row.metadata))
            for row in (await self._session.execute(statement)).all()
        ]


def _intent_state(intent: FakeIntent) -> dict[str, Any]:
    return {
        "status": intent.status.value,
        "latest_charge": None if intent.charge is None else intent.charge.id,
        "last_error": intent.last_error,
    }
