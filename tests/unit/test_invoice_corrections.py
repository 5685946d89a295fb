"""Corrections of issued e-invoices in the core (Y8): the requests' invariants and the rules on what was issued."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs
import pytest

from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.customers import Actor, InvoiceInfo, Party
from subscription_core.errors import InvalidTransitionError, ValidationError
from subscription_core.invoice_corrections import (
    AdjustmentLine,
    CorrectionHistory,
    CorrectionKind,
    InvoiceAdjustment,
    InvoiceReplacement,
    IssuedCorrection,
    check_correction,
)
from subscription_core.invoices import InvoiceRequest, IssuedInvoice, invoice_requests
from subscription_core.money import Currency, Money
from subscription_core.orders import Order, OrderKind
from subscription_core.pricing import quote
from subscription_core.quotes import PlanSelection
from subscription_core.tax import VatRate, VatSchedule

T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
TEN = VatRate.parse("10%")


def vnd(amount: int) -> Money:
    return Money.of(amount, "VND")


ORIGINAL = IssuedInvoice(
    order_id="ord-1", part=0, series="1C26TAA", number="00000001", issued_at=T0, grand_total=vnd(550_000)
)
BUYER = Party(unit_name="Công ty TNHH Hòa Bình", address="12 Lê Lợi", email="ketoan@hoabinh.vn")
CATALOG = Catalog(
    currency=Currency.of("VND"),
    products=[
        Product(
            code="AMIS",
            name="AMIS Kế toán",
            plans=[
                Plan(
                    code="STD",
                    name="Tiêu chuẩn",
                    vat=VatSchedule.flat("10%"),
                    options=[PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=vnd(500_000))],
                )
            ],
        )
    ],
)


def invoice_request(order_id: str) -> InvoiceRequest:
    """The invoice of a paid order of one plan, 500,000 + 10% VAT."""
    order = Order.from_quote(
        quote(CATALOG, [PlanSelection(plan="STD", option="1Y")], as_of=T0.date()),
        id=order_id,
        kind=OrderKind.NEW_PURCHASE,
        customer_id="cus-1",
        subscriber=BUYER,
        invoice=InvoiceInfo.same_as(BUYER),
        placed_by=Actor.staff("st-1"),
        idempotency_key=f"k-{order_id}",
        at=T0,
    )
    return invoice_requests(order, T0)[0]


def line(taxable: int, vat: int) -> AdjustmentLine:
    return AdjustmentLine(code="STD", description="Gói", vat_rate=TEN, taxable=vnd(taxable), vat=vnd(vat))


def adjustment(*lines: AdjustmentLine, original: IssuedInvoice | IssuedCorrection = ORIGINAL) -> InvoiceAdjustment:
    return InvoiceAdjustment(key="k", original=original, buyer=BUYER, lines=lines, reason="Hoàn tiền", requested_at=T0)


def test_y8_an_adjustment_is_the_sum_of_its_signed_lines() -> None:
    change = adjustment(line(-100_000, -10_000), line(20_000, 2_000), line(0, 1))
    assert (change.pretax_total, change.vat_total, change.grand_total) == (vnd(-80_000), vnd(-7_999), vnd(-87_999))
    assert not change.increase
    [ten] = change.vat_totals
    assert (ten.rate, ten.taxable, ten.vat) == (TEN, vnd(-80_000), vnd(-7_999))
    assert adjustment(line(1, 0)).increase


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: line(0, 0), "taxable"),
        (lambda: line(-100, 10), "vat"),
        (lambda: line(100, -10), "vat"),
        (
            lambda: AdjustmentLine(code="STD", description="Gói", vat_rate=TEN, taxable=vnd(1), vat=Money.of(0, "USD")),
            "vat",
        ),
        (adjustment, "lines"),
        (lambda: adjustment(line(100, 10), line(-100, -10)), "lines"),
        (lambda: adjustment(line(-500_000, -50_001)), "lines"),  # below zero
        (lambda: attrs.evolve(adjustment(line(1, 0)), reason=" "), "reason"),
        (lambda: attrs.evolve(adjustment(line(1, 0)), reason="x" * 256), "reason"),
        (lambda: attrs.evolve(adjustment(line(1, 0)), key=""), "key"),
    ],
)
def test_y8_a_malformed_adjustment_is_refused(make: Callable[[], object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make()
    assert caught.value.field == field


def test_y8_an_adjusting_invoice_is_not_corrected_itself() -> None:
    issued = IssuedCorrection(
        key="k",
        kind=CorrectionKind.ADJUSTMENT,
        order_id="ord-1",
        part=0,
        series="1C26TAA",
        number="00000002",
        issued_at=T0,
        grand_total=vnd(-110_000),
        original_series="1C26TAA",
        original_number="00000001",
    )
    with pytest.raises(ValidationError) as caught:
        adjustment(line(1, 0), original=issued)
    assert (caught.value.rule, caught.value.field) == ("Y8", "original")
    replacement = attrs.evolve(issued, kind=CorrectionKind.REPLACEMENT, grand_total=vnd(550_000))
    assert adjustment(line(-1, 0), original=replacement).original == replacement


def test_y8_a_replacement_invoices_the_same_order_and_part() -> None:
    request = invoice_request("ord-1")
    assert InvoiceReplacement(key="r", original=ORIGINAL, request=request, reason="Sai MST").requested_at == T0
    with pytest.raises(ValidationError) as caught:
        InvoiceReplacement(key="r", original=ORIGINAL, request=invoice_request("ord-2"), reason="Sai MST")
    assert caught.value.field == "request"


def test_y8_what_was_issued_decides_whether_a_correction_may_follow() -> None:
    clean = CorrectionHistory(grand_total=vnd(550_000), adjusted=vnd(-300_000))
    check_correction(adjustment(line(-200_000, -50_000)), clean)  # down to zero exactly
    with pytest.raises(ValidationError):
        check_correction(adjustment(line(-200_000, -50_001)), clean)
    replaced = attrs.evolve(clean, replaced_by="1C26TAA 00000003")
    with pytest.raises(InvalidTransitionError):
        check_correction(adjustment(line(1, 0)), replaced)
    with pytest.raises(InvalidTransitionError):
        check_correction(
            InvoiceReplacement(key="r", original=ORIGINAL, request=invoice_request("ord-1"), reason="x"), replaced
        )
