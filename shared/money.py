"""Money: an exact decimal amount with its currency. Never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Minor units per currency; amounts are rounded half-up to them (the rule written down in
# docs/design.md: `quantize` with ROUND_HALF_UP, applied once per line, totals are sums of lines).
MINOR_UNITS = {"CNY": 2, "EUR": 2, "USD": 2, "GBP": 2, "JPY": 0}


class CurrencyMismatchError(ValueError):
    """Two amounts of different currencies were combined."""


@dataclass(frozen=True)
class Money:
    """An amount in one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if self.currency not in MINOR_UNITS:
            raise ValueError(f"unsupported currency {self.currency!r}")

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Money from a string or integer amount, rounded to the currency's minor unit."""
        return cls(Decimal(amount), currency).rounded()

    @classmethod
    def zero(cls, currency: str) -> Money:
        """No money in `currency`."""
        return cls.of(0, currency)

    def rounded(self) -> Money:
        """This amount rounded half-up to the currency's minor unit."""
        exponent = Decimal(1).scaleb(-MINOR_UNITS[self.currency])
        return Money(self.amount.quantize(exponent, rounding=ROUND_HALF_UP), self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"{self.currency} and {other.currency} do not add up")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        return Money(self.amount * factor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def converted(self, currency: str, rate: Decimal) -> Money:
        """This amount in `currency` at `rate` (units of `currency` per unit of ours), rounded."""
        return Money(self.amount * rate, currency).rounded()

    @property
    def is_zero(self) -> bool:
        """True when the amount is exactly zero."""
        return self.amount == 0

    def formatted(self) -> str:
        """The one money format of pages and messages: "1234.50 EUR" (rounded to the minor
        unit, always that many decimals, then the currency code)."""
        return f"{self.rounded().amount:f} {self.currency}"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
