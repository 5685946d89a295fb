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
in which selections or promotions are given.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from subscription_core.catalog import AddonKind, Catalog
from subscription_core.errors import ValidationError
from subscription_core.money import Currency, Money, allocate
from subscription_core.promotions import Entry, Promotion, PurchaseKind, RedemptionCounts, Refusal, RefusalReason, Scope
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


class _Line:
    """A line while it is being priced (mutable, private); becomes a frozen QuoteLine at the end."""

    __slots__ = (
        "base",
        "code",
        "description",
        "discounts",
        "invoice_share",
        "kind",
        "net",
        "option",
        "product",
        "quantity",
        "ref",
        "unit_price",
        "vat",
        "vat_rate",
    )

    def __init__(self, kind: LineKind, code: str, ref: str, option: str, product: str, description: str) -> None:
        self.kind, self.code, self.ref, self.option = kind, code, ref, option
        self.product, self.description = product, description
        self.quantity = 1
        self.unit_price = self.base = self.net = self.invoice_share = self.vat = Decimal(0)
        self.discounts: list[tuple[str, Decimal]] = []
        self.vat_rate: VatRate

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (0 if self.kind is LineKind.PLAN else 1, self.code, self.ref, self.option)


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
            a quantity above the catalog's maximum), a VAT rate missing on ``as_of``, or duplicate codes
            in the promotion book.
    """
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise ValidationError("must be a calendar date", rule="C6", field="as_of", value=as_of)
    currency = catalog.currency
    lines = _priced_lines(catalog, list(selections), current_plan, as_of)
    candidates, refused = _candidates(promotions, codes, as_of, purchase, redemptions, currency)
    applied: dict[str, tuple[Scope, Decimal]] = {}
    gross = sum((line.base for line in lines), Decimal(0))
    _apply_line_promotions(lines, candidates, gross, currency, refused, applied)
    invoice_discount = _apply_invoice_promotions(lines, candidates, currency, refused, applied)
    vat_totals = _apply_vat(lines, currency)
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
    catalog: Catalog, selections: list[Selection], current_plan: str | None, as_of: dt.date
) -> list[_Line]:
    if not selections:
        raise ValidationError("an order needs at least one selection", rule="O1", field="selections", value=[])
    lines: list[_Line] = []
    plan_options: dict[str, list[int]] = {}
    for i, sel in enumerate(selections):
        if isinstance(sel, PlanSelection):
            lines.append(_plan_line(catalog, sel, as_of))
            plan_options.setdefault(sel.plan, []).append(catalog.plan(sel.plan).option(sel.option).cycles)
        elif not isinstance(sel, AddonSelection):
            raise ValidationError("must be a PlanSelection or an AddonSelection", field=f"selections[{i}]", value=sel)
    if current_plan is not None:
        catalog.plan(current_plan)
    lines.extend(
        _addon_line(catalog, sel, plan_options, current_plan, as_of)
        for sel in selections
        if isinstance(sel, AddonSelection)
    )
    lines.sort(key=lambda line: line.sort_key)
    for before, after in itertools.pairwise(lines):
        if before.sort_key == after.sort_key:
            raise ValidationError(
                "the same item is selected twice; give each line its own ref", field="selections", value=after.code
            )
    return lines


def _plan_line(catalog: Catalog, sel: PlanSelection, as_of: dt.date) -> _Line:
    plan = catalog.plan(sel.plan)
    option = plan.option(sel.option)
    product = catalog.product_of_plan(sel.plan)
    line = _Line(
        LineKind.PLAN, plan.code, sel.ref, option.code, product.code, f"{plan.name} ({option.cycles} × {option.cycle})"
    )
    line.unit_price = line.base = option.price.amount
    line.vat_rate = plan.vat.rate_on(as_of)
    return line


def _addon_line(
    catalog: Catalog, sel: AddonSelection, plan_options: dict[str, list[int]], current_plan: str | None, as_of: dt.date
) -> _Line:
    addon = catalog.addon(sel.addon)
    plans = set(plan_options) | ({current_plan} if current_plan else set())
    companions = sorted(p for p in plans if addon.goes_with(p))
    if not companions:
        raise ValidationError(
            f"does not go with the plans of this order ({', '.join(sorted(plans)) or 'none'})",
            rule="C3",
            field="addon",
            value=addon.code,
        )
    if addon.max_quantity is not None and sel.quantity > addon.max_quantity:
        raise ValidationError(f"at most {addon.max_quantity}", rule="C3", field="quantity", value=sel.quantity)
    product = catalog.product_of_addon(addon.code)
    line = _Line(LineKind.ADDON, addon.code, sel.ref, "", product.code, addon.name)
    line.quantity = sel.quantity
    line.unit_price = addon.price.amount
    line.base = _addon_base(
        addon.kind, addon.full_price, sel, addon.price.amount, plan_options, companions, catalog.currency
    )
    line.vat_rate = addon.vat.rate_on(as_of)
    return line


def _addon_base(
    kind: AddonKind,
    full_price: bool,  # noqa: FBT001 - a catalog flag passed through
    sel: AddonSelection,
    unit_price: Decimal,
    plan_options: dict[str, list[int]],
    companions: list[str],
    currency: Currency,
) -> Decimal:
    base = unit_price * sel.quantity
    if kind is AddonKind.SERVICE:
        cycles = sel.cycles or _companion_cycles(sel.addon, plan_options, companions)
        return base * cycles
    if kind is AddonKind.STORAGE and sel.prorate is not None and not full_price:
        exact = base * sel.prorate.days_left / sel.prorate.term_days
        return exact.quantize(currency.quantum, rounding=ROUND_HALF_UP)
    return base


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


def _candidates(
    promotions: Iterable[Promotion],
    codes: Iterable[str] | None,
    as_of: dt.date,
    purchase: PurchaseKind,
    redemptions: RedemptionCounts | None,
    currency: Currency,
) -> tuple[list[Promotion], list[Refusal]]:
    book: dict[str, Promotion] = {}
    for promotion in promotions:
        if not isinstance(promotion, Promotion):
            raise ValidationError("must be a Promotion", field="promotions", value=promotion)
        if promotion.code.upper() in book:
            raise ValidationError("two promotions share a code", rule="P3", field="promotions", value=promotion.code)
        book[promotion.code.upper()] = promotion
    refused: list[Refusal] = []
    asked = list(book.values())
    if codes is not None:
        wanted = dict.fromkeys(str(c).strip().upper() for c in codes if str(c).strip())
        asked = [book[c] for c in wanted if c in book]
        refused += [Refusal(c, RefusalReason.UNKNOWN_CODE) for c in wanted if c not in book]
    candidates = []
    counts = redemptions or RedemptionCounts()
    for promotion in asked:
        refusal = _ineligible(promotion, as_of, purchase, counts, currency)
        if refusal is None:
            candidates.append(promotion)
        else:
            refused.append(refusal)
    return candidates, refused


def _ineligible(
    p: Promotion, as_of: dt.date, purchase: PurchaseKind, redemptions: RedemptionCounts, currency: Currency
) -> Refusal | None:
    if p.currency_mismatch(currency):
        return Refusal(p.code, RefusalReason.CURRENCY_MISMATCH, f"order is in {currency.code}")
    if p.valid_from is not None and as_of < p.valid_from:
        return Refusal(p.code, RefusalReason.NOT_YET_VALID, f"valid from {p.valid_from}")
    if p.valid_until is not None and as_of > p.valid_until:
        return Refusal(p.code, RefusalReason.EXPIRED, f"valid until {p.valid_until}")
    if purchase not in p.purchase_kinds:
        return Refusal(p.code, RefusalReason.WRONG_PURCHASE_KIND, f"not for {purchase.value} purchases")
    return redemptions.refusal(p)


def _choose(promotions: list[Promotion], amount: Decimal, currency: Currency) -> tuple[list[Promotion], str]:
    """The best non-stackable promotion plus every stackable one, in the order they apply (P5, P6).

    Also returns the code of the non-stackable winner ("" when there is none), for refusals.
    """
    single = [p for p in promotions if not p.stackable]
    chosen = [p for p in promotions if p.stackable]
    winner = ""
    if single:
        best = min(single, key=lambda p: (-p.discount_on(amount, currency), p.code))
        chosen.append(best)
        winner = best.code
    return sorted(chosen, key=lambda p: (not p.is_fixed, p.code)), winner


def _discount(
    line_or_none: _Line | None,
    chosen: list[Promotion],
    amount: Decimal,
    currency: Currency,
    applied: dict[str, tuple[Scope, Decimal]],
) -> Decimal:
    """Apply ``chosen`` in order on ``amount``; return what remains (P6, P8)."""
    remaining = amount
    for p in chosen:
        off = p.discount_on(remaining, currency)
        remaining -= off
        if line_or_none is not None:
            line_or_none.discounts.append((p.code, off))
        scope, total = applied.get(p.code, (p.scope, Decimal(0)))
        applied[p.code] = (scope, total + off)
    return remaining


def _apply_line_promotions(
    lines: list[_Line],
    candidates: list[Promotion],
    gross: Decimal,
    currency: Currency,
    refused: list[Refusal],
    applied: dict[str, tuple[Scope, Decimal]],
) -> None:
    eligible = []
    for p in candidates:
        if p.scope is Scope.INVOICE:
            continue
        if p.min_amount is not None and gross < p.min_amount.amount:
            refused.append(Refusal(p.code, RefusalReason.BELOW_MINIMUM, f"minimum {p.min_amount}"))
        else:
            eligible.append(p)
    matched: set[str] = set()
    beaten_by: dict[str, str] = {}
    for line in lines:
        scope = Scope.PACKAGE if line.kind is LineKind.PLAN else Scope.ADDON
        here = [p for p in eligible if p.scope is scope and p.targets_item(line.code)]
        chosen, winner = _choose(here, line.base, currency)
        matched.update(p.code for p in here)
        beaten_by.update((p.code, winner) for p in here if p not in chosen)
        line.net = _discount(line, chosen, line.base, currency, applied)
    for p in eligible:
        if p.code not in matched:
            refused.append(Refusal(p.code, RefusalReason.NOT_APPLICABLE))
        elif p.code not in applied:
            refused.append(Refusal(p.code, RefusalReason.OUTRANKED, f"{beaten_by[p.code]} applies instead"))


def _apply_invoice_promotions(
    lines: list[_Line],
    candidates: list[Promotion],
    currency: Currency,
    refused: list[Refusal],
    applied: dict[str, tuple[Scope, Decimal]],
) -> Decimal:
    subtotal = sum((line.net for line in lines), Decimal(0))
    products = {line.product for line in lines}
    eligible = []
    for p in candidates:
        if p.scope is not Scope.INVOICE:
            continue
        if p.targets and not p.targets & products:
            refused.append(Refusal(p.code, RefusalReason.NOT_APPLICABLE))
        elif p.min_amount is not None and subtotal < p.min_amount.amount:
            refused.append(Refusal(p.code, RefusalReason.BELOW_MINIMUM, f"minimum {p.min_amount}"))
        else:
            eligible.append(p)
    chosen, winner = _choose(eligible, subtotal, currency)
    refused.extend(
        Refusal(p.code, RefusalReason.OUTRANKED, f"{winner} applies instead") for p in eligible if p not in chosen
    )
    discount = subtotal - _discount(None, chosen, subtotal, currency, applied)
    shares = allocate(discount, [line.net for line in lines], currency)
    for line, share in zip(lines, shares, strict=True):
        line.invoice_share = share
    return discount


def _apply_vat(lines: list[_Line], currency: Currency) -> list[tuple[VatRate, Decimal, Decimal]]:
    groups: dict[VatRate, list[_Line]] = {}
    for line in lines:
        groups.setdefault(line.vat_rate, []).append(line)
    totals = []
    for rate in sorted(groups, key=lambda r: r.sort_key):
        group = groups[rate]
        taxables = [line.net - line.invoice_share for line in group]
        taxable = sum(taxables, Decimal(0))
        vat = (taxable * rate.fraction).quantize(currency.quantum, rounding=ROUND_HALF_UP)
        for line, share in zip(group, allocate(vat, taxables, currency), strict=True):
            line.vat = share
        totals.append((rate, taxable, vat))
    return totals


def _build(
    catalog: Catalog,
    as_of: dt.date,
    purchase: PurchaseKind,
    lines: list[_Line],
    vat_totals: list[tuple[VatRate, Decimal, Decimal]],
    applied: dict[str, tuple[Scope, Decimal]],
    refused: list[Refusal],
    invoice_discount: Decimal,
) -> Quote:
    cur = catalog.currency

    def money(amount: Decimal) -> Money:
        # Every amount here was computed from validated catalog prices and quantized by this module.
        return Money._trusted(amount, cur)  # noqa: SLF001

    quote_lines = tuple(
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
            discounts=tuple(LineDiscount(code, money(off)) for code, off in line.discounts),
            invoice_discount=money(line.invoice_share),
            taxable=money(line.net - line.invoice_share),
            vat_rate=line.vat_rate,
            vat=money(line.vat),
        )
        for line in lines
    )
    subtotal = sum((line.base for line in lines), Decimal(0))
    line_discounts = sum((line.base - line.net for line in lines), Decimal(0))
    pretax = sum((t for _, t, _ in vat_totals), Decimal(0))
    vat = sum((v for _, _, v in vat_totals), Decimal(0))
    return Quote(
        currency=cur,
        as_of=as_of,
        purchase=purchase,
        lines=quote_lines,
        vat_totals=tuple(VatTotal(rate, money(t), money(v)) for rate, t, v in vat_totals),
        applied=tuple(
            AppliedPromotion(code, scope, money(amount))
            for code, (scope, amount) in sorted(applied.items(), key=lambda kv: (_SCOPE_ORDER[kv[1][0]], kv[0]))
        ),
        refused=tuple(sorted(refused, key=lambda r: (r.code, r.reason.value))),
        subtotal=money(subtotal),
        line_discount_total=money(line_discounts),
        invoice_discount_total=money(invoice_discount),
        pretax_total=money(pretax),
        vat_total=money(vat),
        grand_total=money(pretax + vat),
    )
