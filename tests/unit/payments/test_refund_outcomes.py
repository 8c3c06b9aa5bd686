"""A refund the provider accepted as pending, then failed, stops reserving what it asked for."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dependency_injector import providers

from application.ports.payments import RefundStatus
from domain.refunds import RefundState, outstanding
from tests.unit.payments.shop import PRICE, Shop


class _PendingThenFailed:
    """The provider answers every refund ``pending``; those named in ``failed`` it later reports failed."""

    def __init__(self, gateway: Any) -> None:
        self._gateway, self.failed = gateway, set[str]()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    async def refund(self, *args: Any, **kwargs: Any) -> Any:
        return replace(await self._gateway.refund(*args, **kwargs), status=RefundStatus.PENDING)

    async def list_refunds(self, intent_id: str) -> Any:
        status = {True: RefundStatus.FAILED, False: RefundStatus.PENDING}
        return [replace(r, status=status[r.id in self.failed]) for r in await self._gateway.list_refunds(intent_id)]


async def test_a_pending_refund_that_fails_at_the_provider_releases_its_reservation(shop: Shop) -> None:
    booking = await shop.paid()
    provider = _PendingThenFailed(shop.gateway)
    shop.container.gateways.payments.override(providers.Object(provider))
    assert booking.payment is not None

    pending = await shop.refund(booking.id)  # all of it, pending at the provider
    while_pending = [r.state for r in await shop.our_refunds(booking.id)]
    provider.failed.add(str(pending.gateway_refund_id))
    await shop.uc.handle_payment_event().sync_refunds(booking.payment.intent_id)  # its refund event
    refunds = await shop.our_refunds(booking.id)
    after = await shop.booking(booking.id)

    assert while_pending == [RefundState.PENDING]
    assert [r.state for r in refunds] == [RefundState.FAILED]
    assert after.payment.refunded == 0  # type: ignore[union-attr]
    after.check_refund(PRICE, outstanding(refunds))  # all of it may be asked for again
