"""The checks every gateway makes alike: whole VND amounts as digits, and http only on a loopback host (Y1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core.payments import PaymentMethod
from subscription_core.ports import PaymentRequest
from subscription_core_adapters.gateways.checks import is_loopback, whole_vnd_digits


def request(amount: object, currency: object = "VND") -> PaymentRequest:
    return PaymentRequest(
        payment_id="pay-1",
        order_id="ord-1",
        amount=amount,  # type: ignore[arg-type]
        currency=currency,  # type: ignore[arg-type]
        method=PaymentMethod.domestic_card("VCB"),
        description="AMIS",
    )


@given(st.integers(min_value=1, max_value=10**10 - 1), st.sampled_from([1, 100]))
def test_y1_a_whole_amount_is_written_as_its_digits_scaled(amount: int, scale: int) -> None:
    assert whole_vnd_digits(request(str(amount)), provider="P", max_digits=12, scale=scale) == str(amount * scale)


@given(
    st.decimals(allow_nan=True, allow_infinity=True).filter(
        lambda d: not d.is_finite() or d <= 0 or d != d.to_integral_value()
    )
)
def test_y1_an_amount_that_is_not_whole_vnd_above_0_is_refused(amount: Decimal) -> None:
    with pytest.raises(ValidationError) as refused:
        whole_vnd_digits(request(str(amount)), provider="P", max_digits=12)
    assert (refused.value.rule, refused.value.field) == ("Y1", "amount")


@pytest.mark.parametrize(
    ("currency", "amount"),
    [("USD", "100"), (None, "100"), ("VND", "1" * 13), ("VND", None), ("VND", "1E+100000000"), ("VND", "1E+12")],
)
def test_y1_another_currency_or_too_many_digits_is_refused_with_the_field(currency: object, amount: object) -> None:
    with pytest.raises(ValidationError) as refused:
        whole_vnd_digits(request(amount, currency), provider="P", max_digits=12)
    assert refused.value.field == ("currency" if currency != "VND" else "amount")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/x", True),
        ("http://[::1]/x", True),
        ("https://127.0.0.2/", True),
        ("http://localhost/x", False),  # a name, which a resolver could send anywhere
        ("http://10.0.0.1/x", False),
        ("https://sandbox.nganluong.vn/checkout.api.nganluong.post.php", False),
        ("http://[::1/x", False),
        (None, False),
        (42, False),
    ],
)
def test_y1_loopback_means_a_loopback_address_only(url: object, expected: bool) -> None:
    assert is_loopback(url) is expected
