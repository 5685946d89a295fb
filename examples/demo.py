"""The main demo: load the example catalogs and print quotes with promotions at all three scopes.

Run it with ``bash scripts/demo.sh`` (which creates or reuses ``.venv``), or ``python examples/demo.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from subscription_core import (
    AddonSelection,
    AmountOff,
    Entry,
    Money,
    PercentOff,
    PlanSelection,
    Promotion,
    PurchaseKind,
    Quote,
    Scope,
    Selection,
    load_catalog,
    quote,
)

CATALOGS = Path(__file__).resolve().parent / "catalogs"
TODAY = dt.date(2026, 11, 23)


def render(title: str, q: Quote) -> str:
    """A quote as a checkout would show it: lines, discounts, VAT per rate, totals, refusals."""
    out = [f"== {title} (as of {q.as_of}, {q.purchase.value})"]
    for line in q.lines:
        out.append(f"  {line.description:<48} x{line.quantity:<3} {line.base!s:>16}")
        out.extend(f"      promotion {d.code:<20} {'-' + str(d.amount):>29}" for d in line.discounts)
        if line.invoice_discount:
            out.append(f"      share of invoice promotions {'-' + str(line.invoice_discount):>22}")
        out.append(f"      taxable {line.taxable!s:>16}   VAT {line.vat_rate.label:>5} {line.vat!s:>14}")
    out.append(f"  {'subtotal':<40} {q.subtotal!s:>28}")
    out.append(f"  {'discounts':<40} {'-' + str(q.discount_total):>28}")
    out.extend(f"  {'VAT ' + t.rate.label + ' on ' + str(t.taxable):<40} {t.vat!s:>28}" for t in q.vat_totals)
    out.append(f"  {'total to pay':<40} {q.grand_total!s:>28}")
    out.extend(f"  refused {r.code}: {r.reason.value} {r.detail}".rstrip() for r in q.refused)
    return "\n".join(out)


def amis_purchase() -> str:
    """AMIS.VN: Professional for 1 year, a training package and storage, with a sales code (seed 000)."""
    catalog = load_catalog(CATALOGS / "amis_vn.toml")
    vnd = catalog.currency
    promotions = [
        Promotion(
            code="MISA-SALES-15",
            scope=Scope.PACKAGE,
            benefit=PercentOff(percent=Decimal(15)),
            entry=Entry.CODE,
            targets={"amis-professional", "amis-enterprise"},
        ),
        Promotion(
            code="YEAR-END",
            scope=Scope.INVOICE,
            benefit=AmountOff(amount=Money.of(500_000, vnd)),
            valid_until=dt.date(2026, 12, 31),
        ),
    ]
    selections: list[Selection] = [
        PlanSelection(plan="amis-professional", option="1y"),
        AddonSelection(addon="amis-training-basic"),
        AddonSelection(addon="amis-storage-5gb", quantity=2),
    ]
    q = quote(catalog, selections, as_of=TODAY, promotions=promotions, codes=["misa-sales-15", "YEAR-END", "OLD"])
    return render("MISA AMIS.VN: new purchase", q)


def onesme_three_scopes() -> str:
    """VNPT oneSME: a multi-cycle package, an add-on service, one promotion at each scope (seed 004)."""
    catalog = load_catalog(CATALOGS / "onesme.toml")
    plan = next(p for product in catalog.products for p in product.plans if len(p.options) > 1)
    option = plan.options[-1]
    service = next(a for product in catalog.products for a in product.addons if a.goes_with(plan.code))
    promotions = [
        Promotion(code="PKG-10", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(10)), targets={plan.code}),
        Promotion(code="ADDON-20", scope=Scope.ADDON, benefit=PercentOff(percent=Decimal(20)), targets={service.code}),
        Promotion(
            code="INVOICE-5",
            scope=Scope.INVOICE,
            benefit=PercentOff(percent=Decimal(5), cap=Money.of(300_000, catalog.currency)),
        ),
    ]
    selections: list[Selection] = [
        PlanSelection(plan=plan.code, option=option.code),
        AddonSelection(addon=service.code),
    ]
    q = quote(catalog, selections, as_of=TODAY, promotions=promotions, purchase=PurchaseKind.NEW)
    return render("VNPT oneSME: multi-cycle package with an add-on service", q)


def main() -> None:
    """Print the demo's quotes."""
    print(amis_purchase())
    print()
    print(onesme_three_scopes())


if __name__ == "__main__":
    main()
