"""The exact pricing engine: a pure function from selections and promotions to a :class:`Quote` (P5-P8).

Order of application (P6):

1. Each line is priced from the catalog (never from the caller): a plan option's price, or an add-on's
   unit price × quantity (× cycles for a per-cycle service, prorated for storage bought mid-term, S6).
2. Package and add-on promotions apply on their own lines: on each line the one non-stackable promotion
   worth most to the buyer (ties: the smaller code) plus every stackable one, fixed amounts before
   percentages, each on what remains (P5, P6).
3. Invoice promotions apply the same way on the subtotal after line discounts; their total is allocated
   across the lines in proportion to the lines' net amounts by largest remainder (P7).
4. VAT is computed once per rate on the sum of that rate's taxable amounts, rounded half-up, and allocated
   back to the lines by largest remainder (P7).

No discount exceeds its base and nothing is ever negative (P8). The result does not depend on the order
in which selections or promotions are given. Beside its price, each line copies from the catalog what it
grants once paid, and the quote names the catalog version it was priced from (O6).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from operator import attrgetter

from subscription_core.catalog import AddonKind, Catalog
from subscription_core.discounts import (
    PricedLine,
    apply_invoice_promotions,
    apply_line_promotions,
    find_offers,
)
from subscription_core.errors import ValidationError
from subscription_core.limits import MAX_AMOUNT, MAX_AMOUNT_DIGITS
from subscription_core.money import Currency, allocate_units, from_units, money_maker
from subscription_core.price_book import PriceBook, price_book
from subscription_core.promotions import (
    Entry,
    Promotion,
    PurchaseKind,
    RedemptionCounts,
    Refusal,
    Scope,
)
from subscription_core.quotes import (
    AddonSelection,
    AppliedPromotion,
    LineDiscount,
    LineKind,
    PlanSelection,
    Quote,
    QuoteLine,
    Selection,
    VatTotal,
)
from subscription_core.tax import VatRate

__all__ = ["eligible_promotions", "quote"]

_SCOPE_ORDER = {Scope.PACKAGE: 0, Scope.ADDON: 1, Scope.INVOICE: 2}


def quote(
    catalog: Catalog,
    selections: Iterable[Selection],
    *,
    as_of: dt.date,
    promotions: Iterable[Promotion] = (),
    codes: Iterable[str] | None = None,
    purchase: PurchaseKind = PurchaseKind.NEW,
    current_plan: str | None = None,
    redemptions: RedemptionCounts | None = None,
) -> Quote:
    """Price ``selections`` from ``catalog`` as of ``as_of`` and apply promotions (P1-P8).

    When ``codes`` is ``None`` every promotion in ``promotions`` is asked for. Otherwise ``promotions`` is
    the book that the ``codes`` (typed in or chosen by the buyer, matched without regard to case) are
    looked up in; a code not in the book is refused as unknown. ``current_plan`` is the plan an add-on-only
    order (a storage top-up) is bought for. ``redemptions`` gives the counts for redemption limits.

    Returns:
        The quote, with every promotion asked for either in ``applied`` or in ``refused`` with its reason.

    Raises:
        NotFoundError: a selection names a plan, option or add-on that the catalog lacks.
        ValidationError: bad selections (none at all, duplicates, an add-on without a plan it goes with,
            a quantity above the catalog's maximum), a VAT rate missing on ``as_of``, duplicate codes
            in the promotion book, ``codes`` a single string rather than a sequence (P3), or (P7) a total
            beyond :data:`~subscription_core.limits.MAX_AMOUNT`.
    """
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise ValidationError("must be a calendar date", rule="C6", field="as_of", value=as_of)
    currency = catalog.currency
    book = price_book(catalog)
    lines = _priced_lines(catalog, book, list(selections), current_plan, as_of)
    candidates, refused = find_offers(promotions, codes, as_of, purchase, redemptions, currency)
    applied: dict[str, tuple[Scope, int]] = {}
    gross = sum([line.base for line in lines])
    apply_line_promotions(lines, candidates, gross, refused, applied)
    invoice_discount = apply_invoice_promotions(lines, candidates, refused, applied)
    vat_totals = _apply_vat(lines)
    _check_total(gross + sum(vat for _rate, _taxable, vat in vat_totals), currency)
    return _build(catalog, as_of, purchase, lines, vat_totals, applied, refused, invoice_discount)


def eligible_promotions(
    catalog: Catalog,
    selections: Sequence[Selection],
    *,
    as_of: dt.date,
    book: Iterable[Promotion],
    purchase: PurchaseKind = PurchaseKind.NEW,
    current_plan: str | None = None,
    redemptions: RedemptionCounts | None = None,
) -> tuple[Promotion, ...]:
    """The selectable promotions of ``book`` that would apply to this order if chosen alone (P3, P4).

    A checkout lists these for the buyer to choose from; promotions that must be typed in as a code are
    never listed. Sorted by scope, then code.

    Raises:
        The same errors as :func:`quote` for bad selections.
    """
    found = []
    for promotion in book:
        if promotion.entry is not Entry.SELECTABLE:
            continue
        result = quote(
            catalog,
            selections,
            as_of=as_of,
            promotions=(promotion,),
            purchase=purchase,
            current_plan=current_plan,
            redemptions=redemptions,
        )
        if result.applied:
            found.append(promotion)
    return tuple(sorted(found, key=lambda p: (_SCOPE_ORDER[p.scope], p.code)))


def _priced_lines(
    catalog: Catalog, book: PriceBook, selections: list[Selection], current_plan: str | None, as_of: dt.date
) -> list[PricedLine]:
    if not selections:
        raise ValidationError("an order needs at least one selection", rule="O1", field="selections", value=[])
    lines: list[PricedLine] = []
    plan_options: dict[str, list[int]] = {}
    for i, sel in enumerate(selections):
        if isinstance(sel, PlanSelection):
            line, cycles = _plan_line(catalog, book, sel, as_of)
            lines.append(line)
            plan_options.setdefault(sel.plan, []).append(cycles)
        elif not isinstance(sel, AddonSelection):
            raise ValidationError("must be a PlanSelection or an AddonSelection", field=f"selections[{i}]", value=sel)
    if current_plan is not None:
        catalog.plan(current_plan)
    lines.extend(
        _addon_line(catalog, book, sel, plan_options, current_plan, as_of)
        for sel in selections
        if isinstance(sel, AddonSelection)
    )
    lines.sort(key=attrgetter("key"))
    for before, after in itertools.pairwise(lines):
        if before.key == after.key:
            raise ValidationError(
                "the same item is selected twice; give each line its own ref", field="selections", value=after.code
            )
    return lines


def _plan_line(catalog: Catalog, book: PriceBook, sel: PlanSelection, as_of: dt.date) -> tuple[PricedLine, int]:
    entry = book.plan(catalog, sel.plan, sel.option)
    line = PricedLine(LineKind.PLAN, sel.plan, sel.ref, sel.option, entry.product, entry.description)
    line.unit_price = line.base = entry.units
    line.vat_rate = entry.vat.on(as_of)
    line.grant = entry.grant
    return line, entry.cycles


def _addon_line(
    catalog: Catalog,
    book: PriceBook,
    sel: AddonSelection,
    plan_options: dict[str, list[int]],
    current_plan: str | None,
    as_of: dt.date,
) -> PricedLine:
    entry = book.addon(catalog, sel.addon)
    plans = set(plan_options) | ({current_plan} if current_plan else set())
    companions = sorted(p for p in plans if p in entry.plans)  # the plans the add-on goes with (C3)
    if not companions:
        raise ValidationError(
            f"does not go with the plans of this order ({', '.join(sorted(plans)) or 'none'})",
            rule="C3",
            field="addon",
            value=sel.addon,
        )
    if entry.max_quantity is not None and sel.quantity > entry.max_quantity:
        raise ValidationError(f"at most {entry.max_quantity}", rule="C3", field="quantity", value=sel.quantity)
    line = PricedLine(LineKind.ADDON, sel.addon, sel.ref, "", entry.product, entry.name)
    line.quantity = sel.quantity
    line.unit_price = entry.units
    line.base = _addon_base(entry.kind, entry.full_price, sel, entry.units, plan_options, companions)
    line.vat_rate = entry.vat.on(as_of)
    line.grant = entry.grant
    return line


def _addon_base(
    kind: AddonKind,
    full_price: bool,  # noqa: FBT001 - a catalog flag passed through
    sel: AddonSelection,
    unit_price: int,
    plan_options: dict[str, list[int]],
    companions: list[str],
) -> int:
    base = unit_price * sel.quantity
    if kind is AddonKind.SERVICE:
        cycles = sel.cycles or _companion_cycles(sel.addon, plan_options, companions)
        return base * cycles
    if kind is AddonKind.STORAGE and sel.prorate is not None and not full_price:
        return sel.prorate.share(base)  # base x days_left / term_days, rounded half-up (S6)
    return base


def _check_total(units: int, currency: Currency) -> None:
    """Refuse an order whose total before discounts, VAT included, no invoice could show (P7)."""
    if units >= 10 ** (MAX_AMOUNT_DIGITS + currency.minor_units):
        raise ValidationError(
            f"the order's total must be at most {MAX_AMOUNT:,} {currency.code}",
            rule="P7",
            field="total",
            value=f"{from_units(units, currency):f}" if units < 10**40 else f"{len(str(units))} digits",
        )


def _companion_cycles(addon: str, plan_options: dict[str, list[int]], companions: list[str]) -> int:
    cycles = {c for plan in companions for c in plan_options.get(plan, [])}
    if len(cycles) != 1:
        raise ValidationError(
            "a per-cycle add-on service needs its cycles: buy it with one plan option or set cycles",
            rule="C3",
            field="cycles",
            value=addon,
        )
    return cycles.pop()


def _apply_vat(lines: list[PricedLine]) -> list[tuple[VatRate, int, int]]:
    groups: dict[tuple[int, Decimal], list[PricedLine]] = {}  # by rate: equal rates have equal keys
    for line in lines:
        group = groups.get(line.vat_rate.key)
        if group is None:
            groups[line.vat_rate.key] = [line]
        else:
            group.append(line)
    totals = []
    for key in sorted(groups) if len(groups) > 1 else groups:
        group = groups[key]
        rate = group[0].vat_rate
        taxables = [line.net - line.invoice_share for line in group]
        taxable = sum(taxables)
        denominator = rate.denominator
        vat = (2 * taxable * rate.numerator + denominator) // (2 * denominator)  # half-up, once per rate (P7)
        if vat:
            for line, share in zip(group, allocate_units(vat, taxables), strict=True):
                line.vat = share
        totals.append((rate.rate, taxable, vat))
    return totals


def _build(
    catalog: Catalog,
    as_of: dt.date,
    purchase: PurchaseKind,
    lines: list[PricedLine],
    vat_totals: list[tuple[VatRate, int, int]],
    applied: dict[str, tuple[Scope, int]],
    refused: list[Refusal],
    invoice_discount: int,
) -> Quote:
    cur = catalog.currency
    # Every amount here was computed exactly by this module from validated catalog prices.
    money = money_maker(cur)
    quote_lines = []
    subtotal = line_discounts = 0
    for line in lines:
        subtotal += line.base
        line_discounts += line.base - line.net
        quote_lines.append(
            QuoteLine(
                kind=line.kind,
                code=line.code,
                ref=line.ref,
                option=line.option,
                product=line.product,
                description=line.description,
                quantity=line.quantity,
                unit_price=money(line.unit_price),
                base=money(line.base),
                discounts=tuple([LineDiscount(code, money(off)) for code, off in line.discounts])
                if line.discounts
                else (),
                invoice_discount=money(line.invoice_share),
                taxable=money(line.net - line.invoice_share),
                vat_rate=line.vat_rate.rate,
                vat=money(line.vat),
                grant=line.grant,
            )
        )
    pretax = vat = 0
    totals = []
    for rate, taxable, rate_vat in vat_totals:
        pretax += taxable
        vat += rate_vat
        totals.append(VatTotal(rate, money(taxable), money(rate_vat)))
    return Quote(
        currency=cur,
        as_of=as_of,
        purchase=purchase,
        lines=tuple(quote_lines),
        vat_totals=tuple(totals),
        applied=tuple(
            [
                AppliedPromotion(code, scope, money(units))
                for code, (scope, units) in sorted(applied.items(), key=_applied_key)
            ]
        ),
        refused=tuple(sorted(refused, key=_refusal_key)) if refused else (),
        subtotal=money(subtotal),
        line_discount_total=money(line_discounts),
        invoice_discount_total=money(invoice_discount),
        pretax_total=money(pretax),
        vat_total=money(vat),
        grand_total=money(pretax + vat),
        catalog_version=catalog.version,
    )


def _applied_key(item: tuple[str, tuple[Scope, int]]) -> tuple[int, str]:
    return (_SCOPE_ORDER[item[1][0]], item[0])


def _refusal_key(refusal: Refusal) -> tuple[str, str]:
    return (refusal.code, refusal.reason.value)
