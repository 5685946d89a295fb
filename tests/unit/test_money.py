"""Money is exact (rule P7): no floats, no mixed currencies, explicit half-up rounding, exact allocation."""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import CurrencyMismatchError, ValidationError
from subscription_core.money import CURRENCIES, Currency, Money, allocate, round_half_up, to_decimal
from subscription_core.testing import amounts

VND = Currency.of("VND")
USD = Currency.of("USD")

weights = st.lists(
    st.one_of(st.integers(0, 10**6), st.decimals(min_value=0, max_value=10**6, places=3)),
    min_size=1,
    max_size=8,
).filter(any)
currencies = st.sampled_from([VND, USD])


# --- building amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [1200000, "1200000", " 1200000 ", Decimal(1200000), "1.2E+6"])
def test_p7_money_of_accepts_ints_decimals_and_numeric_text(amount: object) -> None:
    assert Money.of(amount, "VND") == Money(Decimal(1_200_000), VND)


@pytest.mark.parametrize("amount", [1.5, 1.0, 0.0, float("nan")])
def test_p7_money_refuses_floats(amount: float) -> None:
    with pytest.raises(ValidationError, match="never a float") as info:
        Money.of(amount, "VND")
    assert info.value.field == "amount"


def test_p7_money_constructor_refuses_anything_but_a_decimal() -> None:
    with pytest.raises(ValidationError, match="finite Decimal"):
        Money(1.5, VND)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="finite Decimal"):
        Money(5, VND)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [True, False])
def test_p7_money_refuses_bools(amount: bool) -> None:
    with pytest.raises(ValidationError, match="never a float") as info:
        Money.of(amount, "VND")
    assert info.value.value is amount


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-inf", Decimal("NaN"), Decimal("Infinity")])
def test_p7_money_refuses_nan_and_infinity(amount: object) -> None:
    with pytest.raises(ValidationError, match="finite"):
        Money.of(amount, "VND")
    with pytest.raises(ValidationError, match="finite"):
        Money(Decimal(amount) if isinstance(amount, str) else amount, VND)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["", "abc", "1,000", "12 đồng", None, [1]])
def test_p7_money_refuses_what_is_not_a_number(amount: object) -> None:
    with pytest.raises(ValidationError) as info:
        Money.of(amount, "VND")
    assert info.value.value == amount


@pytest.mark.parametrize("amount", ["1.5", "0.1", "1000.01", Decimal("-0.5")])
def test_p7_vnd_has_no_minor_unit(amount: object) -> None:
    with pytest.raises(ValidationError, match=r"more decimals than VND allows \(0\)") as info:
        Money.of(amount, "VND")
    assert info.value.rule == "P7"


def test_p7_trailing_zero_decimals_are_whole_dong() -> None:
    assert Money.of("1500.00", "VND") == Money.of(1500, "VND")


def test_p7_usd_allows_two_decimals_and_no_more() -> None:
    assert Money.of("12.34", "USD").amount == Decimal("12.34")
    assert Money.of("12.340", "USD") == Money.of("12.34", "USD")
    with pytest.raises(ValidationError, match=r"more decimals than USD allows \(2\)"):
        Money.of("12.345", "USD")


def test_p7_every_known_currency_has_its_minor_unit() -> None:
    assert {code: c.minor_units for code, c in CURRENCIES.items() if code in {"VND", "JPY", "USD", "EUR"}} == {
        "VND": 0,
        "JPY": 0,
        "USD": 2,
        "EUR": 2,
    }
    assert USD.quantum == Decimal("0.01")
    assert VND.quantum == Decimal(1)


@pytest.mark.parametrize("code", ["XYZ", "vnd", "", None])
def test_p7_unknown_currency_is_refused(code: object) -> None:
    with pytest.raises(ValidationError, match="unknown currency") as info:
        Money.of(1, code)  # type: ignore[arg-type]
    assert info.value.field == "currency"
    assert info.value.value == code


def test_p7_to_decimal_names_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        to_decimal(0.1, field="factor")
    assert info.value.field == "factor"
    assert to_decimal(" 7 ") == Decimal(7)


# --- currencies never mix -----------------------------------------------------------------------------

MIXING: list[Callable[[Money, Money], object]] = [
    operator.add,
    operator.sub,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
]


@pytest.mark.parametrize("op", MIXING)
def test_p7_mixing_currencies_raises(op: Callable[[Money, Money], object]) -> None:
    with pytest.raises(CurrencyMismatchError, match="cannot mix VND with USD") as info:
        op(Money.of(100, "VND"), Money.of(1, "USD"))
    assert info.value.field == "currency"
    assert info.value.value == "USD"


def test_p7_a_currency_mismatch_is_a_validation_error() -> None:
    assert issubclass(CurrencyMismatchError, ValidationError)


def test_p7_amounts_of_different_currencies_are_unequal_without_raising() -> None:
    assert Money.of(1, "VND") != Money.of(1, "JPY")


def test_p7_arithmetic_and_comparison_in_one_currency() -> None:
    a, b = Money.of(1_000, "VND"), Money.of(300, "VND")
    assert a + b == Money.of(1_300, "VND")
    assert a - b == Money.of(700, "VND")
    assert -b == Money.of(-300, "VND")
    assert b < a
    assert b <= a
    assert a > b
    assert a >= a  # noqa: PLR0124
    assert not Money.zero("VND")
    assert a


def test_p7_adding_a_plain_number_is_refused() -> None:
    with pytest.raises(TypeError):
        Money.of(1, "VND") + 1  # type: ignore[operator]


def test_p7_sum_of_amounts_works() -> None:
    parts = [Money.of(100_000, "VND"), Money.of(250_000, "VND"), Money.of(1, "VND")]
    assert sum(parts) == Money.of(350_001, "VND")
    assert sum(parts, Money.zero("VND")) == Money.of(350_001, "VND")


def test_p7_sum_of_mixed_currencies_raises() -> None:
    with pytest.raises(CurrencyMismatchError):
        sum([Money.of(1, "USD"), Money.of(1, "VND")])


def test_p7_str_groups_thousands() -> None:
    assert str(Money.of(1_200_000, "VND")) == "1,200,000 VND"
    assert str(Money.of("12.50", "USD")) == "12.50 USD"


# --- rounding -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("2.5", VND, "3"),
        ("3.5", VND, "4"),
        ("0.5", VND, "1"),
        ("2.4999", VND, "2"),
        ("-2.5", VND, "-3"),
        ("1.005", USD, "1.01"),
        ("1.004", USD, "1.00"),
    ],
)
def test_p7_round_half_up_never_rounds_to_even(amount: str, currency: Currency, rounded: str) -> None:
    assert round_half_up(Decimal(amount), currency) == Decimal(rounded)


def test_p7_times_rounds_half_up_to_the_minor_unit() -> None:
    assert Money.of(5, "VND").times(Decimal("0.5")) == Money.of(3, "VND")
    assert Money.of(3, "VND").times("0.5") == Money.of(2, "VND")
    assert Money.of("0.05", "USD").times("0.5") == Money.of("0.03", "USD")
    assert Money.of(1_000_000, "VND").times(3) == Money.of(3_000_000, "VND")


def test_p7_times_refuses_a_float_factor() -> None:
    with pytest.raises(ValidationError) as info:
        Money.of(100, "VND").times(0.1)
    assert info.value.field == "factor"


# --- allocation ---------------------------------------------------------------------------------------


@given(currencies.flatmap(lambda c: amounts(c, max_value=10**12)), weights)
def test_p7_allocation_adds_up_exactly(total: Money, ws: list[Decimal | int]) -> None:
    parts = total.allocate(ws)
    assert len(parts) == len(ws)
    assert sum(parts, Money.zero(total.currency)) == total
    assert all(p.currency == total.currency and p.amount >= 0 for p in parts)


@given(currencies.flatmap(lambda c: amounts(c, max_value=10**12)), weights)
def test_p7_allocation_parts_are_within_one_minor_unit_of_their_exact_share(
    total: Money, ws: list[Decimal | int]
) -> None:
    parts = total.allocate(ws)
    weight_sum = sum(Fraction(w) for w in ws)
    quantum = Fraction(total.currency.quantum)
    for part, w in zip(parts, ws, strict=True):
        exact = Fraction(total.amount) * Fraction(w) / weight_sum
        assert abs(Fraction(part.amount) - exact) < quantum


@given(currencies.flatmap(amounts), weights)
def test_p7_allocation_is_deterministic(total: Money, ws: list[Decimal | int]) -> None:
    assert total.allocate(ws) == total.allocate(list(ws))


@given(currencies.flatmap(amounts), weights)
def test_p7_allocation_gives_nothing_to_a_zero_weight(total: Money, ws: list[Decimal | int]) -> None:
    parts = total.allocate([*ws, 0])
    assert parts[-1] == Money.zero(total.currency)
    assert parts[:-1] == total.allocate(ws)


def test_p7_allocation_gives_leftover_units_to_the_largest_remainders_first() -> None:
    assert allocate(Decimal(100), [Decimal(1), Decimal(1), Decimal(1)], VND) == [34, 33, 33]
    assert allocate(Decimal(10), [Decimal(1), Decimal(2), Decimal(3)], VND) == [2, 3, 5]
    assert allocate(Decimal("0.05"), [Decimal(1), Decimal(1)], USD) == [Decimal("0.03"), Decimal("0.02")]


def test_p7_allocation_of_zero_onto_zero_weights_gives_zeros() -> None:
    assert Money.zero("USD").allocate([0, 0]) == (Money.zero("USD"), Money.zero("USD"))
    assert allocate(Decimal(0), [], VND) == []


def test_p7_allocation_of_an_amount_onto_zero_weights_is_refused() -> None:
    with pytest.raises(ValidationError, match="sum to zero") as info:
        Money.of(100, "VND").allocate([0, 0])
    assert info.value.value == Decimal(100)


def test_p7_allocation_refuses_a_negative_total_or_weight() -> None:
    with pytest.raises(ValidationError, match="negative total") as info:
        Money.of(-1, "VND").allocate([1])
    assert info.value.rule == "P8"
    with pytest.raises(ValidationError, match="weights must not be negative"):
        Money.of(100, "VND").allocate([1, -1])
