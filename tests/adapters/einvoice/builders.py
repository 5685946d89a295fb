"""Builders for the e-invoice tests: a seller, buyers, and invoice requests made the way the core makes them.

Requests come from real quotes (:func:`subscription_core.pricing.quote`) frozen onto orders, so their lines,
discounts and VAT per rate are exactly what a paid order asks an issuer for (I1).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.customers import Actor, InvoiceInfo, Party
from subscription_core.invoices import InvoiceRequest, invoice_requests
from subscription_core.money import Currency, Money
from subscription_core.orders import Order, OrderKind
from subscription_core.pricing import quote
from subscription_core.promotions import PercentOff, Promotion, Scope
from subscription_core.quotes import AddonSelection, PlanSelection, Quote, Selection
from subscription_core.tax import VatSchedule
from subscription_core.testing import valid_tax_code
from subscription_core_adapters.einvoice import (
    InvoiceSeries,
    MemoryNumberedInvoices,
    NumberedInvoices,
    ReferenceInvoiceIssuer,
    Seller,
)
from subscription_core_adapters.local import ManualClock

tax_code = valid_tax_code  # a valid tax code (U1), a different one for each n

VND = Currency.of("VND")
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
"""Monday 2026-11-23, 09:00 in Hà Nội."""
SERIES = InvoiceSeries("C26TAA")
SELLER_EMAIL = "hoadon@nhacungcap.vn"
BUYER_EMAIL = "ketoan.truong@khachhang.vn"


SELLER_TAX_CODE = tax_code(4_242)
BUYER_TAX_CODE = tax_code(77)
SELLER = Seller(
    name="Công ty Cổ phần Phần mềm Sao Mai",
    tax_code=SELLER_TAX_CODE,
    address="Tầng 9, 9 Duy Tân, Cầu Giấy, Hà Nội",
    email=SELLER_EMAIL,
    phone="024 3795 9595",
    bank_account="0011004123456",
    bank_name="Vietcombank - CN Thăng Long",
)


def buyer(name: str = "Công ty TNHH Thương mại Hòa Bình", *, code: str | None = BUYER_TAX_CODE) -> Party:
    """The buyer's invoice details (O2)."""
    return Party(unit_name=name, address="12 Lê Lợi, Quận 1, TP. Hồ Chí Minh", email=BUYER_EMAIL, tax_code=code)


def _vnd(amount: int) -> Money:
    return Money.of(amount, VND)


CATALOG = Catalog(
    currency=VND,
    products=[
        Product(
            code="AMIS",
            name="AMIS Kế toán",
            plans=[
                Plan(
                    code="STD",
                    name="Gói Tiêu chuẩn",
                    options=[PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=_vnd(6_000_000))],
                    vat=VatSchedule.flat("KCT"),
                )
            ],
            addons=[
                Addon(
                    code="TRAIN",
                    name="Đào tạo <trực tuyến> & hỗ trợ",
                    kind=AddonKind.TRAINING,
                    price=_vnd(1_500_000),
                    plans={"STD"},
                    vat=VatSchedule.flat("10%"),
                ),
                Addon(
                    code="SETUP",
                    name="Cài đặt",
                    kind=AddonKind.TRAINING,
                    price=_vnd(333_333),
                    plans={"STD"},
                    vat=VatSchedule.flat("8%"),
                ),
                Addon(
                    code="HW",
                    name="Thiết bị ký số",
                    kind=AddonKind.TRAINING,
                    price=_vnd(700_000),
                    plans={"STD"},
                    vat=VatSchedule.flat("5%"),
                ),
                Addon(
                    code="EXPORT",
                    name="Dịch vụ xuất khẩu",
                    kind=AddonKind.TRAINING,
                    price=_vnd(250_000),
                    plans={"STD"},
                    vat=VatSchedule.flat("0%"),
                ),
                Addon(
                    code="AGENT",
                    name="Dịch vụ đại lý",
                    kind=AddonKind.TRAINING,
                    price=_vnd(90_000),
                    plans={"STD"},
                    vat=VatSchedule.flat("KKKNT"),
                ),
            ],
        )
    ],
)
"""A plan not subject to VAT (KCT) and add-ons at every other rate: 10%, 8%, 5%, 0% and KKKNT."""

TEN_PERCENT_OFF = Promotion(code="GIAM10", scope=Scope.INVOICE, benefit=PercentOff(percent=Decimal(10)))


def mixed_quote() -> Quote:
    """A quote with a line at every VAT kind, quantities above one, and a 10% invoice promotion."""
    selections: list[Selection] = [
        PlanSelection(plan="STD", option="1Y"),
        AddonSelection(addon="TRAIN", quantity=2),
        AddonSelection(addon="SETUP", quantity=3),
        AddonSelection(addon="HW"),
        AddonSelection(addon="EXPORT"),
        AddonSelection(addon="AGENT"),
    ]
    return quote(CATALOG, selections, as_of=T0.date(), promotions=[TEN_PERCENT_OFF])


def request_from(priced: Quote, *, order_id: str = "ord-1", party: Party | None = None) -> InvoiceRequest:
    """The one invoice request of an order frozen from ``priced`` for one customer (I1)."""
    details = party if party is not None else buyer()
    order = Order.from_quote(
        priced,
        id=order_id,
        kind=OrderKind.STORAGE_TOP_UP,  # takes a quote of either purchase kind
        customer_id="cus-1",
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        placed_by=Actor.staff("st-1"),
        idempotency_key=f"req-{order_id}",
        at=T0,
        subscription_id="sub-1",
    )
    return invoice_requests(order, T0)[0]


def mixed_request(order_id: str = "ord-1", *, party: Party | None = None) -> InvoiceRequest:
    """:func:`mixed_quote` as an invoice request."""
    return request_from(mixed_quote(), order_id=order_id, party=party)


def simple_request(order_id: str = "ord-1", *, party: Party | None = None) -> InvoiceRequest:
    """One plan line, 6,000,000 đồng, not subject to VAT."""
    priced = quote(CATALOG, [PlanSelection(plan="STD", option="1Y")], as_of=T0.date())
    return request_from(priced, order_id=order_id, party=party)


def issuer(
    store: NumberedInvoices | None = None, *, clock: ManualClock | None = None, series: InvoiceSeries = SERIES
) -> ReferenceInvoiceIssuer:
    """The reference issuer over ``store`` (a fresh memory store by default), dated by ``clock`` (T0)."""
    return ReferenceInvoiceIssuer(
        SELLER, series, store if store is not None else MemoryNumberedInvoices(), clock or ManualClock(T0)
    )
