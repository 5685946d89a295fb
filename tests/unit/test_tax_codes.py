"""U3: the sequence of an enterprise tax code, and the province and century digits of a personal number.

Sources, each cited beside the test that uses it:
- python-stdnum, ``stdnum/vn/mst.py``: "The following seven digits are a sequential number from 0000001 to
  9999999", and ``validate`` refuses ``number[2:9] == '0000000'`` (InvalidComponent) for 10 and 13 digits.
- Circular 07/2016/TT-BCA, Art. 7 and Appendix I (the 63 province codes where a birth is registered, and
  the century-and-sex digit: 0/1 for 1900-1999, 2/3 for 2000-2099, 4-9 for the 22nd to 24th centuries).
The expected values below are typed in from those sources, not read from the library.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import ValidationError, masked
from subscription_core.personal_numbers import PROVINCE_CODES
from subscription_core.tax_codes import TaxCode, TaxCodeKind

# Appendix I of Circular 07/2016/TT-BCA, in its order (Hà Nội 001 ... Cà Mau 096), typed in from the table.
_TABLE = """
001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037
038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080
082 083 084 086 087 089 091 092 093 094 095 096
"""
PUBLISHED_PROVINCE_CODES = frozenset(_TABLE.split())
WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)  # U1, as in stdnum's calc_check_digit


def reference_check(nine: str) -> int:
    return 10 - sum(w * int(d) for w, d in zip(WEIGHTS, nine, strict=True)) % 11


def refused(text: str, rule: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        TaxCode.parse(text)
    error = caught.value
    assert (error.rule, error.field, error.value) == (rule, "tax_code", masked(text, "tax_code"))
    # Personal data: no 8 consecutive digits of the code appear in the message (which may quote the rule's own
    # "0000001"), so the message does not spell the code.
    digits = "".join(re.findall(r"\d", text))
    assert not any(digits[i : i + 8] in error.message for i in range(len(digits) - 7))
    return error


# --- the enterprise sequence -----------------------------------------------------------------------------


def test_u3_the_issue_s_example_0100000003_is_refused() -> None:
    # 0·31 + 1·29 = 29; 29 mod 11 = 7; 10 - 7 = 3: the check digit is right, the sequence 0000000 is not.
    assert reference_check("010000000") == 3
    error = refused("0100000003", "U3")
    assert "sequence" in str(error)
    refused("0100000003-001", "U3")  # a branch of it is refused too


@given(province=st.integers(0, 99), last=st.integers(0, 9))
def test_u3_no_sequence_0000000_is_accepted_whatever_the_check_digit(province: int, last: int) -> None:
    refused(f"{province:02d}0000000{last}", "U3")


@given(province=st.integers(0, 99), sequence=st.integers(1, 9_999_999))
def test_u3_every_sequence_from_0000001_with_its_check_digit_is_accepted(province: int, sequence: int) -> None:
    nine = f"{province:02d}{sequence:07d}"
    check = reference_check(nine)
    if check == 10:  # no digit carries it (U1)
        refused(f"{nine}0", "U1")
        return
    code = TaxCode.parse(f"{nine}{check}")
    assert code.kind is TaxCodeKind.ENTERPRISE
    assert TaxCode.parse(f"{nine}{check}-001").kind is TaxCodeKind.BRANCH


# --- the personal identification number ------------------------------------------------------------------


def test_u3_the_published_province_list_is_the_library_s() -> None:
    assert len(PUBLISHED_PROVINCE_CODES) == 63
    assert frozenset(PROVINCE_CODES) == PUBLISHED_PROVINCE_CODES
    assert (PROVINCE_CODES["001"], PROVINCE_CODES["079"], PROVINCE_CODES["096"]) == ("Hà Nội", "Hồ Chí Minh", "Cà Mau")


@pytest.mark.parametrize("province", sorted(PUBLISHED_PROVINCE_CODES))
def test_u3_every_published_province_code_is_accepted(province: str) -> None:
    code = TaxCode.parse(f"{province}099012345")
    assert code.kind is TaxCodeKind.PERSONAL


def test_u3_the_circular_s_worked_example() -> None:
    # 087084000999: 087 Đồng Tháp, 0 a man born in the 20th century, 84 born 1984 (as explained in the
    # articles on Art. 7 of Circular 07/2016/TT-BCA).
    assert TaxCode.parse("087084000999").kind is TaxCodeKind.PERSONAL


@pytest.mark.parametrize("century", "0123")
def test_u3_century_and_sex_digits_of_the_20th_and_21st_centuries_are_accepted(century: str) -> None:
    assert TaxCode.parse(f"079{century}05123456").kind is TaxCodeKind.PERSONAL


@pytest.mark.parametrize("century", "456789")
def test_u3_century_digits_of_births_from_2100_are_refused(century: str) -> None:
    error = refused(f"079{century}05123456", "U3")
    assert "century" in str(error)


@pytest.mark.parametrize("province", ["000", "003", "005", "097", "099", "100", "999"])
def test_u3_unpublished_province_codes_are_refused(province: str) -> None:
    error = refused(f"{province}099012345", "U3")
    assert "province code" in str(error)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_u3_twelve_digits_are_accepted_exactly_when_province_and_century_fit(digits: str) -> None:
    fits = digits[:3] in PUBLISHED_PROVINCE_CODES and digits[3] in "0123"
    if fits:
        assert TaxCode.parse(digits).kind is TaxCodeKind.PERSONAL
    else:
        refused(digits, "U3")


def test_u3_spaces_in_a_personal_number_are_still_stripped() -> None:
    assert TaxCode.parse(" 001 099 012 345 ").value == "001099012345"
