"""Exact money: a ``Decimal`` amount in a currency with ISO 4217 minor units (rule P7).

``Money`` refuses floats, refuses amounts finer than the currency's minor unit (VND has none: every amount
is whole đồng), and refuses to add or compare amounts of different currencies. Rounding is always explicit
and half-up; :func:`allocate` splits an amount across weights by the largest-remainder method so that the
parts add up to the whole exactly.

Amounts are bounded (:data:`~subscription_core.limits.MAX_AMOUNT`: below 10**15 of the major unit), and
every computation runs in the library's own decimal context, :data:`CONTEXT`, never in the caller's: a host
that lowers ``decimal.getcontext().prec`` or sets other traps changes no result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Final

import attrs

from subscription_core.errors import CurrencyMismatchError, ValidationError, of_type
from subscription_core.limits import MAX_AMOUNT, MAX_AMOUNT_DIGITS, MAX_AMOUNT_TEXT

__all__ = [
    "CONTEXT",
    "CURRENCIES",
    "Currency",
    "Money",
    "allocate",
    "allocate_units",
    "from_units",
    "money_factory",
    "round_half_up",
    "to_decimal",
    "to_units",
]


CONTEXT: Final = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])
"""The decimal context of every computation of the library (P7), whatever the caller's context is.

60 digits hold any product of two bounded values exactly (an amount has at most 15 integer digits and the
minor unit's decimals; a percentage at most 3 integer digits and 28 decimals). Use it as
``CONTEXT.add(a, b)``, ``x.quantize(q, context=CONTEXT)`` or ``with decimal.localcontext(CONTEXT):``.
"""


@attrs.frozen
class Currency:
    """An ISO 4217 currency and the number of digits of its minor unit (VND 0, USD 2)."""

    code: str
    minor_units: int
    quantum: Decimal = attrs.field(init=False, eq=False, repr=False)

    @quantum.default
    def _quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.minor_units, context=CONTEXT)

    @classmethod
    def of(cls, code: str) -> Currency:
        """Return the known currency with this ISO code.

        Raises:
            ValidationError: the code is not a currency this library knows.
        """
        try:
            return CURRENCIES[code]
        except (KeyError, TypeError):
            raise ValidationError(
                f"unknown currency; known: {', '.join(sorted(CURRENCIES))}", field="currency", value=code
            ) from None


CURRENCIES: Final[dict[str, Currency]] = {
    c.code: c
    for c in (
        Currency("VND", 0),
        Currency("USD", 2),
        Currency("EUR", 2),
        Currency("JPY", 0),
        Currency("KRW", 0),
        Currency("SGD", 2),
        Currency("THB", 2),
        Currency("CNY", 2),
    )
}


def to_decimal(value: object, *, field: str = "amount") -> Decimal:
    """Turn an int, a ``Decimal`` or a numeric string into a finite ``Decimal`` below 10**15 (P7).

    A text is read only when written with the ASCII digits 0-9 (``"١٢٣"`` and full-width digits are
    refused) and at most :data:`~subscription_core.limits.MAX_AMOUNT_TEXT` characters long.

    Raises:
        ValidationError: ``value`` is a float, a bool, not a number, not finite, or has more than
            :data:`~subscription_core.limits.MAX_AMOUNT_DIGITS` integer digits.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (bool, float)):
        raise ValidationError("must be a Decimal, int or numeric string, never a float", field=field, value=value)
    elif isinstance(value, int):
        result = _from_int(value, field=field)
    elif isinstance(value, str):
        result = _from_text(value, field=field)
    else:
        raise ValidationError("must be a Decimal, int or numeric string", field=field, value=value)
    if not result.is_finite():
        raise ValidationError("must be finite", field=field, value=value)
    if result.adjusted() >= MAX_AMOUNT_DIGITS:
        raise ValidationError(_TOO_LARGE, rule="P7", field=field, value=_shown(result))
    return result


_TOO_LARGE: Final = f"must be at most {MAX_AMOUNT:,} ({MAX_AMOUNT_DIGITS} integer digits)"


def _from_int(value: int, *, field: str) -> Decimal:
    # Checked on the bits first: a huge int is refused before it is turned into digits.
    if value.bit_length() > MAX_AMOUNT_DIGITS * 4:
        raise ValidationError(_TOO_LARGE, rule="P7", field=field, value=f"an integer of {value.bit_length()} bits")
    return Decimal(value)


def _from_text(value: str, *, field: str) -> Decimal:
    text = value.strip()
    if len(text) > MAX_AMOUNT_TEXT:
        raise ValidationError(
            f"is longer than {MAX_AMOUNT_TEXT} characters", rule="P7", field=field, value=f"{text[:20]}..."
        )
    if not text.isascii():
        raise ValidationError("must be written with the digits 0-9", rule="P7", field=field, value=value)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationError("is not a number", field=field, value=value) from None


def _shown(value: Decimal) -> str:
    # A refused amount is shown in scientific form: its plain digits may run to thousands.
    return f"{value:.6E}" if value.adjusted() > MAX_AMOUNT_DIGITS * 2 else f"{value:f}"


def round_half_up(amount: Decimal, currency: Currency) -> Decimal:
    """Round ``amount`` half-up to the currency's minor unit (P7)."""
    return amount.quantize(currency.quantum, rounding=ROUND_HALF_UP, context=CONTEXT)


def _check_amount(instance: Money, _attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if type(value) is not Decimal or not value.is_finite():
        raise ValidationError("must be a finite Decimal (use Money.of for other inputs)", field="amount", value=value)
    if value.adjusted() >= MAX_AMOUNT_DIGITS:
        raise ValidationError(_TOO_LARGE, rule="P7", field="amount", value=_shown(value))
    exponent = value.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -instance.currency.minor_units
        and value != value.quantize(instance.currency.quantum, context=CONTEXT)
    ):
        raise ValidationError(
            f"has more decimals than {instance.currency.code} allows ({instance.currency.minor_units})",
            rule="P7",
            field="amount",
            value=value,
        )


@attrs.frozen(order=False, repr=False)
class Money:
    """An exact amount of one currency.

    Build one with :meth:`of` (which accepts ints and numeric strings) or directly from a ``Decimal``.
    Arithmetic and comparison between different currencies raise :class:`CurrencyMismatchError`.
    ``sum()`` works (it starts from the int ``0``).
    """

    amount: Decimal = attrs.field(validator=_check_amount)
    currency: Currency = attrs.field(validator=of_type(Currency))

    @classmethod
    def of(cls, amount: object, currency: str | Currency) -> Money:
        """Return ``amount`` of ``currency``.

        Raises:
            ValidationError: a float or malformed amount, an unknown currency, or more decimals than the
                currency's minor unit allows.
        """
        cur = currency if isinstance(currency, Currency) else Currency.of(currency)
        return cls(to_decimal(amount), cur)

    @classmethod
    def _trusted(cls, amount: Decimal, currency: Currency) -> Money:
        """Build without validation, for amounts the library itself computed and quantized."""
        return money_factory(currency)(amount)

    @classmethod
    def zero(cls, currency: str | Currency) -> Money:
        """Return zero of ``currency``."""
        return cls.of(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot mix {self.currency.code} with {other.currency.code}",
                field="currency",
                value=other.currency.code,
            )

    def __add__(self, other: Money) -> Money:
        """Add an amount of the same currency."""
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(CONTEXT.add(self.amount, other.amount), self.currency)

    def __radd__(self, other: object) -> Money:
        """Let ``sum()`` start from ``0``."""
        if other == 0 and not isinstance(other, bool):
            return self
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        """Subtract an amount of the same currency."""
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(CONTEXT.subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        """Return the opposite amount."""
        return Money(self.amount.copy_negate(), self.currency)

    def __lt__(self, other: Money) -> bool:
        """Compare with an amount of the same currency."""
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        """Compare with an amount of the same currency."""
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        """Compare with an amount of the same currency."""
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        """Compare with an amount of the same currency."""
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        """A zero amount is falsy."""
        return bool(self.amount)

    def times(self, factor: object) -> Money:
        """Return this amount times ``factor`` (an int or ``Decimal``), rounded half-up to the minor unit.

        Raises:
            ValidationError: ``factor`` is a float or not a number, or the product is beyond the largest amount.
        """
        product = CONTEXT.multiply(self.amount, to_decimal(factor, field="factor"))
        return Money(round_half_up(product, self.currency), self.currency)

    def allocate(self, weights: Sequence[Decimal | int]) -> tuple[Money, ...]:
        """Split this amount across ``weights`` by largest remainder; see :func:`allocate`."""
        parts = allocate(self.amount, [Decimal(w) for w in weights], self.currency)
        return tuple(Money(p, self.currency) for p in parts)

    def __repr__(self) -> str:
        """Render as ``Money('1200000', 'VND')``."""
        return f"Money({str(self.amount)!r}, {self.currency.code!r})"

    def __str__(self) -> str:
        """Render as ``1,200,000 VND``."""
        return f"{self.amount:,} {self.currency.code}"


# The slot descriptors of the frozen class: setting through them skips the frozen __setattr__ (and is
# used only by Money._trusted, on a fresh instance).
_SET_AMOUNT = Money.__dict__["amount"].__set__
_SET_CURRENCY = Money.__dict__["currency"].__set__


def money_factory(currency: Currency) -> Callable[[Decimal], Money]:
    """A fast constructor of ``Money`` in ``currency`` for amounts already exact to its minor unit.

    It skips validation: only for amounts the library computed itself (the pricing engine builds a few
    dozen per quote, and validating each again would cost more than the arithmetic).
    """
    new = object.__new__

    def make(amount: Decimal) -> Money:
        money = new(Money)
        _SET_AMOUNT(money, amount)
        _SET_CURRENCY(money, currency)
        return money

    return make


def money_maker(currency: Currency) -> Callable[[int], Money]:
    """A constructor of ``Money`` in ``currency`` from whole minor units, for one computation of the library.

    Like :func:`money_factory` it skips validation (only for amounts the library computed itself), and it
    builds each distinct amount once: the pricing engine turns some forty amounts of a quote into Money,
    many of them equal (zeros, a line's base and taxable amount, the lines of a bulk renewal), and Money is
    immutable. It remembers every amount it made, so keep it for one computation, not for ever.
    """
    new, exponent = object.__new__, -currency.minor_units
    made: dict[int, Money] = {}

    def make(units: int) -> Money:
        found = made.get(units)
        if found is None:  # the same Decimal as from_units gives, so an amount prints the same
            amount = Decimal(units).scaleb(exponent, context=CONTEXT) if exponent else Decimal(units)
            found = made[units] = new(Money)
            _SET_AMOUNT(found, amount)
            _SET_CURRENCY(found, currency)
        return found

    return make


def allocate(total: Decimal, weights: Sequence[Decimal], currency: Currency) -> list[Decimal]:
    """Split ``total`` across ``weights`` in proportion, exact to the minor unit (P7).

    Each part is the exact share rounded down to the minor unit; the units left over go one each to the
    parts with the largest remainders, earlier parts first on ties. The parts always add up to ``total``
    and each differs from its exact share by less than one minor unit. The arithmetic is done in whole
    minor units with integers, so no Decimal precision limit can bend it.

    Raises:
        ValidationError: a weight or the total is negative, the total is finer than the minor unit, or
            the weights sum to zero while the total is not zero.
    """
    if any(w < 0 for w in weights):
        raise ValidationError("weights must not be negative", rule="P7", field="weights", value=list(weights))
    units = to_units(total, currency)
    scale = max(0, *(-_exponent(w) for w in weights)) if weights else 0
    parts = allocate_units(units, [int(w.scaleb(scale, context=CONTEXT)) for w in weights])
    return [from_units(p, currency) for p in parts]


def allocate_units(total: int, weights: Sequence[int]) -> list[int]:
    """:func:`allocate` on whole minor units: split ``total`` across integer ``weights`` by largest remainder.

    Raises:
        ValidationError: a negative total or weight, or weights summing to zero under a non-zero total.
    """
    if total < 0:
        raise ValidationError("cannot allocate a negative total", rule="P8", field="total", value=total)
    if len(weights) == 1 and weights[0] > 0:
        return [total]
    weight_sum = sum(weights)
    if min(weights, default=0) < 0:
        raise ValidationError("weights must not be negative", rule="P7", field="weights", value=list(weights))
    if not weight_sum:
        if total:
            raise ValidationError(
                "cannot allocate onto weights that sum to zero", rule="P7", field="total", value=total
            )
        return [0] * len(weights)
    parts: list[int] = []
    remainders: list[int] = []
    for w in weights:
        part, remainder = divmod(total * w, weight_sum)
        parts.append(part)
        remainders.append(remainder)
    left = total - sum(parts)
    if left:
        for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
            parts[i] += 1
    return parts


def to_units(amount: Decimal, currency: Currency) -> int:
    """``amount`` in whole minor units of ``currency`` (12.34 USD is 1234).

    Raises:
        ValidationError: the amount is finer than the currency's minor unit.
    """
    scaled = amount.scaleb(currency.minor_units, context=CONTEXT)
    units = int(scaled)
    if units != scaled:
        raise ValidationError(f"is finer than {currency.code} allows", rule="P7", field="amount", value=amount)
    return units


def from_units(units: int, currency: Currency) -> Decimal:
    """The ``Decimal`` amount of ``units`` minor units, with the currency's exponent (1234 -> 12.34 USD)."""
    return Decimal(units).scaleb(-currency.minor_units, context=CONTEXT) if currency.minor_units else Decimal(units)


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0
