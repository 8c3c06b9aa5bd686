"""The fake payment gateway with a provider that goes down, or loses its answers, on demand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from domain.errors import PaymentProviderUnavailableError
from infrastructure.payments.fake import FakePaymentGateway

PORT_CALLS = frozenset({"create_intent", "retrieve_intent", "cancel_intent", "refund", "list_refunds", "fee"})


class FlakyGateway:
    """Port calls named in ``down`` fail before reaching the fake; those in ``lose_answers``
    reach it (the money moves) and then fail, as a timeout after Stripe acted would.
    ``calls`` counts every port call, failed ones included."""

    def __init__(self, gateway: FakePaymentGateway) -> None:
        self.fake = gateway
        self.down: set[str] = set()
        self.lose_answers: set[str] = set()
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.fake, name)
        if name not in PORT_CALLS:
            return target
        return self._flaky(name, target)

    def _flaky(self, name: str, target: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            if name in self.down:
                raise PaymentProviderUnavailableError(f"the provider is down ({name})")
            answer = await target(*args, **kwargs)
            if name in self.lose_answers:
                raise PaymentProviderUnavailableError(f"the provider's answer was lost ({name})")
            return answer

        return call
