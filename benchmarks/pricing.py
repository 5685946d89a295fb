"""Quotes per second for a representative order, against hand-written Decimal arithmetic of the same numbers.

The order: one plan option (KCT), two add-ons (10%), one promotion at each scope (package percentage,
add-on fixed amount, capped invoice percentage). The baseline computes exactly the same figures with bare
Decimals and no validation; both results are checked equal before timing.

Run: .venv/bin/python benchmarks/pricing.py
Prints both rates, then last ``ratio: X.XX`` (library time per quote / hand-written time per quote).
"""

from __future__ import annotations

import datetime as dt
import timeit
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.money import Currency, Money
from subscription_core.pricing import quote
from subscription_core.promotions import AmountOff, PercentOff, Promotion, Scope
from subscription_core.quotes import AddonSelection, PlanSelection, Selection
from subscription_core.tax import VatSchedule

VND = Currency.of("VND")
DAY = dt.date(2026, 11, 23)
ONE = Decimal(1)


def build() -> tuple[Catalog, list[Selection], list[Promotion]]:
    def vnd(n: int) -> Money:
        return Money.of(n, VND)

    plan = Plan(
        code="PRO",
        name="Professional",
        options=[PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=vnd(12_000_000))],
        vat=VatSchedule.flat("KCT"),
    )
    addons = [
        Addon(
            code="TRAIN",
            name="Training",
            kind=AddonKind.TRAINING,
            price=vnd(1_500_000),
            plans={"PRO"},
            vat=VatSchedule.flat("10%"),
        ),
        Addon(
            code="STO",
            name="Storage",
            kind=AddonKind.STORAGE,
            price=vnd(333_333),
            plans={"PRO"},
            vat=VatSchedule.flat("10%"),
            storage_per_unit=10,
        ),
    ]
    catalog = Catalog(currency=VND, products=[Product(code="AMIS", name="AMIS", plans=[plan], addons=addons)])
    selections: list[Selection] = [
        PlanSelection(plan="PRO", option="1Y"),
        AddonSelection(addon="TRAIN"),
        AddonSelection(addon="STO", quantity=2),
    ]
    promotions = [
        Promotion(code="PKG10", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(10)), targets={"PRO"}),
        Promotion(code="TR200", scope=Scope.ADDON, benefit=AmountOff(amount=vnd(200_000)), targets={"TRAIN"}),
        Promotion(code="INV5", scope=Scope.INVOICE, benefit=PercentOff(percent=Decimal(5), cap=vnd(500_000))),
    ]
    return catalog, selections, promotions


def _split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    whole = sum(weights, Decimal(0))
    exact = [total * w / whole for w in weights]
    parts = [e.quantize(ONE, rounding=ROUND_FLOOR) for e in exact]
    for i in sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))[: int(total - sum(parts))]:
        parts[i] += 1
    return parts


def hand_written() -> tuple[Decimal, Decimal, Decimal]:
    """The same quote with bare Decimals: lines PRO (KCT), STO and TRAIN (10%)."""
    pro, sto, train = Decimal(12_000_000), Decimal(333_333) * 2, Decimal(1_500_000)
    pro -= (pro * 10 / 100).quantize(ONE, rounding=ROUND_HALF_UP)
    train -= min(Decimal(200_000), train)
    nets = [pro, sto, train]
    subtotal = sum(nets, Decimal(0))
    invoice = min((subtotal * 5 / 100).quantize(ONE, rounding=ROUND_HALF_UP), Decimal(500_000))
    taxable = [n - s for n, s in zip(nets, _split(invoice, nets), strict=True)]
    group = taxable[1] + taxable[2]
    vat = (group * 10 / 100).quantize(ONE, rounding=ROUND_HALF_UP)
    _split(vat, taxable[1:])
    pretax = sum(taxable, Decimal(0))
    return pretax, vat, pretax + vat


def main() -> None:
    catalog, selections, promotions = build()

    def library() -> tuple[Decimal, Decimal, Decimal]:
        q = quote(catalog, selections, as_of=DAY, promotions=promotions)
        return q.pretax_total.amount, q.vat_total.amount, q.grand_total.amount

    if library() != hand_written():
        raise SystemExit(f"the two computations disagree: {library()} != {hand_written()}")
    number = 5_000
    lib = min(timeit.repeat(library, number=number, repeat=5)) / number
    base = min(timeit.repeat(hand_written, number=number, repeat=5)) / number
    print(f"library:      {1 / lib:>10,.0f} quotes/s  ({lib * 1e6:.1f} µs per quote)")
    print(f"hand-written: {1 / base:>10,.0f} quotes/s  ({base * 1e6:.1f} µs per quote)")
    print(f"ratio: {lib / base:.2f}")


if __name__ == "__main__":
    main()
