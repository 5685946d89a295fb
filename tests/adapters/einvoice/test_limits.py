"""The checkout's limits are the e-invoice's (O7): details an order was placed with always fit its e-invoice.

The core's ``contact_details`` holds the one set of field limits; ``Order.place`` checks an order's parties
against it and the document builder uses it. Whatever text the checkout accepts, the reference issuer builds
an XML document that parses back to the same text; whatever the e-invoice would refuse, the checkout refuses
first, naming the field and the limit.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.contact_details import INVOICE_FIELD_LIMITS, character_problem
from subscription_core.customers import Party
from subscription_core.errors import ValidationError
from subscription_core_adapters.einvoice import MemoryNumberedInvoices
from subscription_core_adapters.einvoice.document import InvoiceContent
from subscription_core_adapters.einvoice.fields import LIMITS

from .builders import SELLER, issuer, simple_request

_AWKWARD = [
    "\x00",
    "\x07",
    "\x1c",
    "\x7f",
    "\x85",
    "\x9f",
    "\u2028",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\ud800",
    "\U0010ffff",
    "\u202e",  # issue 14: a right-to-left override, an isolate and a zero-width space are refused too
    "\u2066",
    "\u200b",
]
_CHARACTERS = st.one_of(st.characters(), st.sampled_from(_AWKWARD), st.sampled_from("ĐđƯươàáạảãÀÁẠẢÃ "))
_TEXTS = st.one_of(
    st.text(_CHARACTERS, max_size=30),
    st.integers(min_value=395, max_value=405).map(lambda n: "Đ" * n),
    st.builds(lambda head, n: head + "a" * n, st.text(_CHARACTERS, max_size=5), st.integers(0, 400)),
)
_EMAILS = st.one_of(st.emails(), st.integers(1, 70).map(lambda n: "k" * n + "@hoadon.vn"))


def _placed_or_none(name: str, address: str, email: str) -> Party | None:
    """The party if the checkout takes it (built, then checked as ``Order.place`` checks it), else ``None``."""
    try:
        party = Party(unit_name=name, address=address, email=email)
        party.check_invoiceable("invoice")
    except ValidationError as refused:
        rule = refused.rule
    else:
        return party
    assert rule in {"O2", "O7", "I2"}
    return None


def test_o7_the_adapter_uses_the_cores_limits() -> None:
    assert LIMITS is INVOICE_FIELD_LIMITS
    assert (LIMITS["name"], LIMITS["address"], LIMITS["email"]) == (400, 400, 50)


@given(name=_TEXTS, address=_TEXTS, email=_EMAILS)
def test_o7_any_details_the_checkout_accepts_make_an_e_invoice(name: str, address: str, email: str) -> None:
    party = _placed_or_none(name, address, email)
    if party is None:
        return
    reference = issuer(MemoryNumberedInvoices())
    request = simple_request(party=party)
    issued = reference.issue(request)
    assert issued.number == "00000001"
    xml, _html = reference.document(request.order_id)
    buyer = ET.fromstring(xml).find("DLHDon/NDHDon/NMua")  # noqa: S314 - our own output, parsed back
    assert buyer is not None
    assert (buyer.findtext("Ten"), buyer.findtext("DChi"), buyer.findtext("DCTDTu")) == (
        party.unit_name,
        party.address,
        party.email,
    )


@given(name=_TEXTS, address=_TEXTS, email=_EMAILS)
def test_o7_details_the_e_invoice_refuses_are_refused_by_the_checkout(name: str, address: str, email: str) -> None:
    try:
        party = Party(unit_name=name, address=address, email=email)
    except ValidationError:
        return  # refused before either limit applies (an empty name, a malformed e-mail)
    try:
        InvoiceContent.of(simple_request(party=party), seller=SELLER)
    except ValidationError:
        with pytest.raises(ValidationError) as refused:
            party.check_invoiceable("invoice")
        assert refused.value.rule == "O7"
    else:
        party.check_invoiceable("invoice")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a\x07b", "control character (U+0007)"),
        ("a\x9fb", "control character (U+009F)"),
        ("a\ud800b", "lone surrogate (U+D800)"),
        ("a\ufffeb", "U+FFFE, a Unicode non-character"),
        ("a\ufdd0b", "U+FDD0, a Unicode non-character"),
        ("a\U0001ffffb", "U+1FFFF, a Unicode non-character"),
    ],
)
def test_o7_characters_an_e_invoice_cannot_carry_are_named(text: str, problem: str) -> None:
    found = character_problem(text)
    assert found is not None
    assert problem in found
    assert character_problem("Công ty TNHH Hòa Bình — 12/3 Lê Lợi \U0001f600") is None


def test_o7_details_too_long_name_the_field_and_the_limit_and_mask_the_value() -> None:
    long_name = Party(
        unit_name="Công ty " + "x" * 400, address="Hà Nội", email="ketoan@congty.vn", tax_code="0100109106"
    )
    with pytest.raises(ValidationError) as refused:
        long_name.check_invoiceable("invoice")
    error = refused.value
    assert (error.rule, error.field) == ("O7", "invoice.unit_name")
    assert "at most 400" in error.message
    assert "x" * 10 not in str(error)
