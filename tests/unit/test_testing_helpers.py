"""The public test helpers in subscription_core.testing that are not strategies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core.tax_codes import TaxCode, TaxCodeKind
from subscription_core.testing import personal_numbers, valid_tax_code


@given(
    st.one_of(
        st.integers(min_value=0, max_value=10**8 - 1),
        st.integers(min_value=0, max_value=9).map(lambda top: top * 10**7),  # the sequence would be 0000000
    )
)
def test_u1_valid_tax_code_parses_and_differs_by_n(n: int) -> None:
    code = valid_tax_code(n)
    assert TaxCode.parse(code).value == code
    assert code[2:9] != "0000000"  # U3
    # So two different n never give the same code: the leading digit is 0 or 1 where the digits are n's own.
    if n % 10**7:
        assert (code[0] in "01", code[1:9]) == (True, f"{n:08d}")
    else:
        assert (code[0] >= "2", code[1:9]) == (True, f"{n // 10**7}0000001")


@pytest.mark.parametrize("bad", [-1, 10**8, 1.5, True, "7"])
def test_u1_valid_tax_code_refuses_what_is_not_eight_digits(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        valid_tax_code(bad)  # type: ignore[arg-type]
    assert caught.value.field == "n"


@given(personal_numbers())
def test_u3_personal_numbers_are_valid_personal_tax_codes(number: str) -> None:
    code = TaxCode.parse(number)
    assert (code.kind, code.value) == (TaxCodeKind.PERSONAL, number)
