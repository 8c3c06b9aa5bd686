"""Money: integer minor units with a currency, never floats."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidValueError

_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_MINOR_UNITS = 10**15


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not _CURRENCY.match(self.currency):
            raise InvalidValueError("currency", "must be a three-letter ISO 4217 code in capitals")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise InvalidValueError("amount", "must be an integer number of minor units")
        if not -MAX_MINOR_UNITS <= self.amount <= MAX_MINOR_UNITS:
            raise InvalidValueError("amount", "is out of range")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def times(self, factor: int) -> Money:
        return Money(self.amount * factor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidValueError("currency", f"cannot mix {self.currency} and {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)
