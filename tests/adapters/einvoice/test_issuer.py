"""The reference issuer (I1, I2): idempotent per order and part, checks before numbering, series per year."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from subscription_core.calendar import VIETNAM_TZ
from subscription_core.errors import ConflictError, NotFoundError, ValidationError
from subscription_core.money import Currency, money_factory
from subscription_core_adapters.einvoice import (
    Documents,
    InvoiceSeries,
    MemoryNumberedInvoices,
    ReferenceInvoiceIssuer,
    StoredInvoice,
)
from subscription_core_adapters.local import ManualClock

from .builders import BUYER_EMAIL, BUYER_TAX_CODE, SELLER, SERIES, T0, issuer, mixed_request, simple_request


def parse(document: bytes) -> ET.Element:
    return ET.fromstring(document)  # noqa: S314 - our own output, parsed back


def test_i1_an_invoice_is_issued_for_the_request() -> None:
    reference = issuer()
    request = mixed_request()
    issued = reference.issue(request)
    assert (issued.order_id, issued.part, issued.key) == ("ord-1", 0, request.key)
    assert (issued.series, issued.number) == ("1C26TAA", "00000001")
    assert issued.grand_total == request.grand_total
    assert issued.issued_at == T0
    xml, page = reference.document("ord-1", 0)
    root = parse(xml)
    assert root.findtext("DLHDon/TTChung/SHDon") == "1"
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBSo") == str(request.grand_total.amount)
    assert "Số: <b>00000001</b>" in page


def test_i1_asking_again_returns_the_invoice_already_issued() -> None:
    reference = issuer()
    first = reference.issue(simple_request("ord-1"))
    assert reference.issue(simple_request("ord-1")) == first
    assert reference.issue(simple_request("ord-2")).number == "00000002"
    assert reference.numbers() == [1, 2]


def test_i1_the_same_order_and_part_with_another_total_is_a_conflict() -> None:
    reference = issuer()
    reference.issue(simple_request("ord-1"))
    with pytest.raises(ConflictError) as caught:
        reference.issue(mixed_request("ord-1"))
    assert caught.value.rule == "I1"
    assert reference.numbers() == [1]


def test_i1_i2_refused_requests_take_no_number() -> None:
    reference = issuer()
    reference.issue(simple_request("ord-1"))
    no_buyer = simple_request("ord-2")
    object.__setattr__(no_buyer, "buyer", None)
    bad_email = simple_request("ord-3")
    object.__setattr__(bad_email.buyer, "email", "not-an-address")
    too_much = simple_request("ord-4")
    # Money refuses 10**15 itself (P7); a line holding it unvalidated is still refused by the invoice.
    huge = money_factory(Currency.of("VND"))(Decimal(10**15))
    line = copy.copy(too_much.lines[0])
    for name in ("base", "taxable"):
        object.__setattr__(line, name, huge)
    object.__setattr__(too_much, "lines", (line,))
    for bad, rule in ((no_buyer, "I1"), (bad_email, "I2"), (too_much, "I1")):
        with pytest.raises(ValidationError) as caught:
            reference.issue(bad)
        assert caught.value.rule == rule
    with pytest.raises(ValidationError):
        reference.issue("ord-5")  # type: ignore[arg-type]
    assert reference.issue(simple_request("ord-6")).number == "00000002"
    assert reference.numbers() == [1, 2]


class ExhaustedStore(MemoryNumberedInvoices):
    """A store whose series has handed out its 99,999,999 numbers: the next one it offers is 100,000,000."""

    def issue_once(self, key: tuple[str, int], series: str, build: Callable[[int], Documents]) -> StoredInvoice:  # noqa: ARG002
        self.offered = build(100_000_000)
        raise AssertionError  # pragma: no cover - the build refuses the number


def test_i1_a_series_that_used_all_its_numbers_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        issuer(ExhaustedStore()).issue(simple_request())
    assert (caught.value.rule, caught.value.field) == ("I1", "number")


def test_i1_the_document_of_an_unknown_invoice_is_not_found() -> None:
    with pytest.raises(NotFoundError) as caught:
        issuer().document("ord-404", 0)
    assert caught.value.rule == "I1"
    with pytest.raises(ValidationError):
        issuer().document("", 0)


def test_i1_the_invoice_is_dated_in_ha_noi_and_its_series_follows_the_year() -> None:
    clock = ManualClock(dt.datetime(2026, 12, 31, 23, 59, tzinfo=VIETNAM_TZ))
    reference = issuer(clock=clock)
    last = reference.issue(simple_request("ord-1"))
    clock.set(dt.datetime(2027, 1, 1, 0, 0, tzinfo=VIETNAM_TZ))  # 17:00 UTC on 31 December
    first = reference.issue(simple_request("ord-2"))
    assert (last.series, last.number) == ("1C26TAA", "00000001")
    assert (first.series, first.number) == ("1C27TAA", "00000001")
    assert parse(reference.document("ord-2")[0]).findtext("DLHDon/TTChung/NLap") == "2027-01-01"
    assert parse(reference.document("ord-2")[0]).findtext("DLHDon/TTChung/KHHDon") == "C27TAA"
    assert reference.numbers(InvoiceSeries("C27TAA")) == [1]


class TurningClock:
    """A clock whose readings step from 23:59:59.999 on 31 December 2026 into 2027, one step per reading."""

    def __init__(self) -> None:
        self.readings = [
            dt.datetime(2026, 12, 31, 23, 59, 59, 999_000, tzinfo=VIETNAM_TZ),
            dt.datetime(2027, 1, 1, 0, 0, 0, 1_000, tzinfo=VIETNAM_TZ),
        ]

    def now(self) -> dt.datetime:
        return self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]


def test_i1_an_invoice_whose_number_is_taken_as_the_year_turns_goes_to_the_new_years_series() -> None:
    store = MemoryNumberedInvoices()
    reference = ReferenceInvoiceIssuer(SELLER, SERIES, store, TurningClock())
    issued = reference.issue(simple_request())
    assert (issued.series, issued.number) == ("1C27TAA", "00000001")
    assert store.numbers("1C26TAA") == []  # the number taken in 2026's series was given back


def test_i1_the_issuer_refuses_bad_settings() -> None:
    store, clock = MemoryNumberedInvoices(), ManualClock(T0)
    refused: list[tuple[Any, ...]] = [
        ("seller", SERIES, store, clock),
        (SELLER, "C26TAA", store, clock),
        (SELLER, SERIES, {}, clock),
        (SELLER, SERIES, store, object()),
    ]
    for args in refused:
        with pytest.raises(ValidationError):
            ReferenceInvoiceIssuer(*args)
    with pytest.raises(ValidationError):
        ReferenceInvoiceIssuer(SELLER, SERIES, store, clock, payment_method="")


def test_i1_the_issuer_logs_the_number_but_no_personal_data(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="subscription_core_adapters.einvoice"):
        issuer().issue(mixed_request())
    assert "1C26TAA 00000001" in caplog.text
    for secret in (BUYER_EMAIL, BUYER_TAX_CODE, SELLER.email, SELLER.tax_code.value):
        assert secret not in caplog.text
