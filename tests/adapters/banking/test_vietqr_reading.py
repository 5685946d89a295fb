"""VietQR (Y3): the parser accepts what the specification allows, the builder keeps to the safest form.

Sources:
- EMVCo QR Code Specification for Payment Systems, Merchant-Presented Mode, Additional Data Field Template
  (id 62): Bill Number (01), Reference Label (05) and Purpose of Transaction (08) are each "ans", up to 25
  characters; "ans" is alphanumeric and special characters, ASCII 32-126 (as the EMVCo tables are restated
  by packagist.org/packages/lee-ratinan/emv-qr and github.com/giautm/emvqr-go's VietQR table). NAPAS's
  VietQR profile (IBFT v1.5.2) keeps those sub-tags.
- finan.readme.io's published "create payment request" payload (``FINAN`` in test_vietqr.py): a purpose
  with brackets and spaces.
- issue 15: codes in use carry their CRC in lower case.
Every CRC below is computed here bit by bit (``crc_bitwise``), independently of the module.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core_adapters.banking import VietQR, parse_payload

from .test_vietqr import FINAN, crc_bitwise, tlv

PRINTABLE = "".join(map(chr, range(0x20, 0x7F)))
BENEFICIARY = tlv("00", "970436") + tlv("01", "0011004000000")
MERCHANT = tlv("00", "A000000727") + tlv("01", BENEFICIARY) + tlv("02", "QRIBFTTA")
HEAD = (
    tlv("00", "01") + tlv("01", "12") + tlv("38", MERCHANT) + tlv("53", "704") + tlv("54", "250000") + tlv("58", "VN")
)


def payload_with(additional: str, *, lower_crc: bool = False) -> str:
    """A dynamic code for 250,000 đồng to Vietcombank 0011004000000, with ``additional`` as template 62."""
    body = HEAD + (tlv("62", additional) if additional else "") + "6304"
    crc = crc_bitwise(body)
    return body + (crc.lower() if lower_crc else crc)


@pytest.mark.parametrize(
    "purpose", ["HD 2026/0001", "SC-123", "Thanh toan: don #42", "a/b-c_d.e,f(g)h[i]j{k}", " x ", "~" * 25]
)
def test_y3_any_printable_purpose_up_to_25_is_read(purpose: str) -> None:
    read = parse_payload(payload_with(tlv("08", purpose)))
    assert (read.purpose, read.amount, read.read_leniently) == (purpose, Decimal(250_000), True)


@given(st.text(alphabet=PRINTABLE, min_size=1, max_size=25), st.sampled_from(["01", "05", "08"]))
def test_y3_every_printable_text_of_1_to_25_is_read_back_as_is(text: str, tag: str) -> None:
    read = parse_payload(payload_with(tlv(tag, text)))
    field = {"01": "bill_number", "05": "reference_label", "08": "purpose"}[tag]
    assert getattr(read, field) == text


@pytest.mark.parametrize(("text", "why"), [("X" * 26, "26 characters"), ("SC\t123", "a tab"), ("SC\x7f1", "DEL")])
def test_y3_a_purpose_the_specification_does_not_allow_is_still_refused(text: str, why: str) -> None:
    payload = payload_with(tlv("08", text))
    with pytest.raises(ValidationError) as caught:
        parse_payload(payload)
    assert caught.value.rule == "Y3", why


def test_y3_a_lower_case_crc_is_read() -> None:
    upper = payload_with(tlv("08", "SC123"))
    lower = payload_with(tlv("08", "SC123"), lower_crc=True)
    assert lower[-4:] != upper[-4:]  # this CRC has hex letters, so the case differs
    assert parse_payload(lower) == parse_payload(upper)
    # Written, the CRC is always upper case.
    assert parse_payload(lower).payload()[-4:] == crc_bitwise(upper[:-4])


def test_y3_a_lower_case_crc_must_still_match() -> None:
    good = payload_with(tlv("08", "SC123"), lower_crc=True)
    wrong = good[:-4] + ("0000" if good[-4:] != "0000" else "0001")
    with pytest.raises(ValidationError) as caught:
        parse_payload(wrong)
    assert caught.value.field == "crc"


def test_y3_the_bill_number_is_written_in_its_place_and_read_back() -> None:
    qr = VietQR(bin="970436", account="0011004000000", amount=250_000, bill_number="HD0001", purpose="SC123")
    text = qr.payload()
    # 62 holds its sub-tags in ascending order: 01 bill number, then 08 purpose.
    assert tlv("62", tlv("01", "HD0001") + tlv("08", "SC123")) + "6304" in text
    assert text == payload_with(tlv("01", "HD0001") + tlv("08", "SC123"))
    read = parse_payload(text)
    assert (read.bill_number, read.purpose) == ("HD0001", "SC123")
    assert read == qr


def test_y3_a_bill_number_alone_is_read() -> None:
    read = parse_payload(payload_with(tlv("01", "INV/2026-001")))
    assert (read.bill_number, read.purpose) == ("INV/2026-001", None)


@pytest.mark.parametrize("field", ["bill_number", "purpose", "reference_label"])
@pytest.mark.parametrize("text", ["HD/0001", "SC-123", "[x]", " SC", "X" * 26])
def test_y3_the_builder_stays_strict(field: str, text: str) -> None:
    fields: dict[str, Any] = {"bin": "970436", "account": "0011004000000", field: text}
    with pytest.raises(ValidationError) as caught:
        VietQR(**fields)
    assert (caught.value.rule, caught.value.field) == ("Y3", field)


def test_y3_a_code_read_leniently_equals_one_built_with_the_same_fields() -> None:
    read = parse_payload(payload_with(tlv("08", "SC123")))
    built = VietQR(bin="970436", account="0011004000000", amount=250_000, purpose="SC123")
    assert read == built
    assert (read.read_leniently, built.read_leniently) == (True, False)


def test_y3_a_published_code_with_punctuation_reads() -> None:
    assert parse_payload(FINAN).purpose == "[Open API] test payment M"
