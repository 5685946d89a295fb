"""The seller's settings, the series symbol of TT78, and the invoice content checked before a number (I1, I2, U1)."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import attrs
import pytest

from subscription_core import limits
from subscription_core.errors import ValidationError
from subscription_core.money import Currency, Money, money_factory
from subscription_core_adapters.einvoice import EInvoice, InvoiceContent, InvoiceSeries, Seller
from subscription_core_adapters.einvoice.document import MAX_AMOUNT

from .builders import (
    BUYER_EMAIL,
    BUYER_TAX_CODE,
    SELLER,
    SELLER_EMAIL,
    SELLER_TAX_CODE,
    SERIES,
    buyer,
    mixed_request,
    simple_request,
)

SECRETS = (SELLER_EMAIL, SELLER_TAX_CODE, BUYER_EMAIL, BUYER_TAX_CODE, "0011004123456")


def shows_no_secret(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


def seller(**changes: object) -> Seller:
    fields = {"name": SELLER.name, "tax_code": SELLER_TAX_CODE, "address": SELLER.address, "email": SELLER_EMAIL}
    return Seller(**{**fields, **changes})


def test_i1_a_seller_is_read_from_plain_settings() -> None:
    made = seller(tax_code=f" {SELLER_TAX_CODE} ", email=SELLER_EMAIL.upper().replace("HOADON", "hoadon"))
    assert made.tax_code.value == SELLER_TAX_CODE
    assert made.email == SELLER_EMAIL
    assert made.provider_tax_code == made.tax_code
    assert made.phone is None
    assert made.bank_account is None


def test_i1_a_seller_repr_shows_no_tax_code_e_mail_or_account() -> None:
    assert shows_no_secret(repr(SELLER))
    assert SELLER.name in repr(SELLER)


@pytest.mark.parametrize(
    ("changes", "rule", "field"),
    [
        ({"name": "  "}, "I1", "seller.name"),
        ({"name": "x" * 401}, "I1", "seller.name"),
        ({"address": ""}, "I1", "seller.address"),
        ({"tax_code": "0101243151"}, "U1", "seller.tax_code"),
        ({"email": "hoadon@@misa"}, "I2", "seller.email"),
        ({"email": f"{'a' * 45}@misa.vn"}, "I1", "seller.email"),
        ({"phone": "0" * 21}, "I1", "seller.phone"),
        ({"bank_account": "1" * 31}, "I1", "seller.bank_account"),
        ({"solution_provider": "123"}, "U1", "seller.solution_provider"),
        ({"name": "Sao\x00Mai"}, "I1", "seller.name"),
    ],
)
def test_i1_bad_seller_settings_are_refused_without_echoing_them(
    changes: dict[str, object], rule: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        seller(**changes)
    assert (caught.value.rule, caught.value.field) == (rule, field)
    assert shows_no_secret(str(caught.value))
    assert "hoadon@@misa" not in str(caught.value)


def test_i1_a_series_has_its_form_symbol_code_and_year() -> None:
    series = InvoiceSeries.parse(" 1c26taa ")
    assert (series.form, series.symbol, series.code, series.year, str(series)) == (
        "1",
        "C26TAA",
        "1C26TAA",
        2026,
        "1C26TAA",
    )
    assert InvoiceSeries("K25DYY").code == "1K25DYY"
    assert series.in_year(2027) == InvoiceSeries("C27TAA")
    assert series.in_year(2100 - 1).symbol == "C99TAA"


@pytest.mark.parametrize(
    "symbol",
    [
        "X26TAA",  # neither C nor K
        "C2XTAA",  # the year is two digits
        "C26MAA",  # M (cash register) is not an enterprise's VAT invoice of services
        "C26NAA",  # N is an internal delivery note
        "C26TAF",  # F is not a Vietnamese letter
        "C26TAW",
        "C26TA",
        "C26TAAA",
        "",
    ],
)
def test_i1_a_symbol_not_shaped_as_tt78_requires_is_refused(symbol: str) -> None:
    with pytest.raises(ValidationError) as caught:
        InvoiceSeries(symbol)
    assert caught.value.rule == "I1"


@pytest.mark.parametrize("form", ["2", "6", 1, ""])
def test_i1_only_the_vat_invoice_form_is_issued(form: object) -> None:
    with pytest.raises(ValidationError):
        InvoiceSeries("C26TAA", form)


@pytest.mark.parametrize("year", [1999, 2100, True, "2027"])
def test_i1_a_series_moves_only_to_a_year_its_symbol_can_carry(year: object) -> None:
    with pytest.raises(ValidationError):
        SERIES.in_year(year)  # type: ignore[arg-type]


def test_i1_the_content_adds_up_as_the_request_does() -> None:
    request = mixed_request()
    content = InvoiceContent.of(request, seller=SELLER)
    assert [line.position for line in content.lines] == list(range(1, len(request.lines) + 1))
    assert sum(line.amount for line in content.lines) == content.pretax_total == request.pretax_total.amount
    assert sum(t.vat for t in content.vat_totals) == content.vat_total == request.vat_total.amount
    assert content.grand_total == request.grand_total.amount
    assert content.discount_total == sum(line.discount for line in content.lines) > 0
    assert content.words == "Mười triệu ba trăm linh chín nghìn bốn trăm chín mươi chín đồng"
    assert shows_no_secret(repr(content))


def test_i1_i2_a_buyer_without_invoice_details_is_refused() -> None:
    request = simple_request()
    object.__setattr__(request, "buyer", None)
    with pytest.raises(ValidationError) as caught:
        InvoiceContent.of(request, seller=SELLER)
    assert (caught.value.rule, caught.value.field) == ("I1", "buyer")


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("unit_name", " ", "I1"),
        ("address", "", "I1"),
        ("email", "ketoan.truong@", "I2"),
        ("email", "ketoan truong@khachhang.vn", "I2"),
        ("unit_name", "x" * 401, "I1"),
    ],
)
def test_i2_a_buyer_without_a_name_or_a_valid_e_mail_is_refused(field: str, value: str, rule: str) -> None:
    request = simple_request()
    object.__setattr__(request.buyer, field, value)  # as if a stored order predated the checks
    with pytest.raises(ValidationError) as caught:
        InvoiceContent.of(request, seller=SELLER)
    assert (caught.value.rule, caught.value.field) == (rule, f"buyer.{field.replace('unit_', '')}")
    assert value.strip() == "" or value not in str(caught.value)


def test_i1_amounts_beyond_the_format_are_refused() -> None:
    # Money refuses 10**15 itself (P7, the same limit); the invoice still checks what reaches it unvalidated.
    with pytest.raises(ValidationError, match="999,999,999,999,999"):
        Money.of(10**15, "VND")
    assert MAX_AMOUNT == limits.MAX_AMOUNT
    request = simple_request()
    huge = money_factory(Currency.of("VND"))(Decimal(10**15))
    line = copy.copy(request.lines[0])
    for name in ("unit_price", "base", "taxable"):
        object.__setattr__(line, name, huge)
    object.__setattr__(request, "lines", (line,))
    with pytest.raises(ValidationError) as caught:
        InvoiceContent.of(request, seller=SELLER)
    assert caught.value.rule == "I1"
    assert caught.value.field.startswith("lines[0]")


def test_i1_an_invoice_in_another_currency_than_vnd_is_refused() -> None:
    request = simple_request()
    usd = Money.of(100, "USD")
    line = attrs.evolve(
        request.lines[0],
        unit_price=usd,
        base=usd,
        taxable=usd,
        invoice_discount=Money.zero("USD"),
        vat=Money.zero("USD"),
    )
    object.__setattr__(request, "lines", (line,))
    with pytest.raises(ValidationError) as caught:
        InvoiceContent.of(request, seller=SELLER)
    assert caught.value.rule == "I1"
    assert "VND" in caught.value.message


def test_i1_vat_totals_that_are_not_the_lines_per_rate_are_refused() -> None:
    request = mixed_request()
    object.__setattr__(request, "vat_totals", request.vat_totals[1:])
    with pytest.raises(ValidationError) as caught:
        InvoiceContent.of(request, seller=SELLER)
    assert (caught.value.rule, caught.value.field) == ("I1", "vat_totals")


@pytest.mark.parametrize(("method", "unit"), [("", "Gói"), ("TM/CK", "x" * 51), ("TM" * 26, "Gói")])
def test_i1_a_payment_method_or_unit_the_format_cannot_carry_is_refused(method: str, unit: str) -> None:
    with pytest.raises(ValidationError):
        InvoiceContent.of(simple_request(), seller=SELLER, payment_method=method, unit=unit)


@pytest.mark.parametrize("number", [0, 100_000_000, -1, True])
def test_i1_an_invoice_number_has_at_most_8_digits(number: int) -> None:
    with pytest.raises(ValidationError) as caught:
        EInvoice.build(simple_request(), seller=SELLER, series=SERIES, number=number, issued_on=dt.date(2026, 11, 23))
    assert (caught.value.rule, caught.value.field) == ("I1", "number")


def test_i1_an_invoice_is_dated_in_its_series_year() -> None:
    with pytest.raises(ValidationError) as caught:
        EInvoice.build(simple_request(), seller=SELLER, series=SERIES, number=1, issued_on=dt.date(2027, 1, 1))
    assert (caught.value.rule, caught.value.field) == ("I1", "issued_on")
    invoice = EInvoice.build(
        simple_request(), seller=SELLER, series=SERIES.in_year(2027), number=12, issued_on=dt.date(2027, 1, 1)
    )
    assert invoice.number_text == "00000012"


def test_i1_a_buyer_without_a_tax_code_is_invoiced() -> None:
    content = InvoiceContent.of(simple_request(party=buyer("Nguyễn Văn An", code=None)), seller=SELLER)
    assert content.buyer.tax_code is None
