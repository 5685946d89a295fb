"""The public test helpers in subscription_core.testing that are not strategies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core.tax_codes import TaxCode
from subscription_core.testing import valid_tax_code


@given(st.integers(min_value=0, max_value=10**8 - 1))
def test_u1_valid_tax_code_parses_and_differs_by_n(n: int) -> None:
    code = valid_tax_code(n)
    assert TaxCode.parse(code).value == code
    assert code[1:9] == f"{n:08d}"  # so two different n never give the same code


@pytest.mark.parametrize("bad", [-1, 10**8, 1.5, True, "7"])
def test_u1_valid_tax_code_refuses_what_is_not_eight_digits(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        valid_tax_code(bad)  # type: ignore[arg-type]
    assert caught.value.field == "n"
