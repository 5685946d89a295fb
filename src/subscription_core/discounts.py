"""Applying promotions to priced lines: eligibility, the winner of each place, the order (P4-P6, P8).

Private to the pricing engine (:mod:`subscription_core.pricing`); amounts here are whole minor units
(ints), exact and several times faster than Decimal arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from subscription_core.errors import ValidationError
from subscription_core.grants import AddonGrant, PlanGrant
from subscription_core.money import Currency, allocate_units, to_units
from subscription_core.price_book import VatEntry
from subscription_core.promotions import (
    AmountOff,
    Promotion,
    PurchaseKind,
    RedemptionCounts,
    Refusal,
    RefusalReason,
    Scope,
)
from subscription_core.quotes import LineKind

__all__ = ["Offer", "PricedLine", "apply_invoice_promotions", "apply_line_promotions", "find_offers"]

_NO_REDEMPTIONS = RedemptionCounts()


class PricedLine:
    """A line while it is being priced (mutable, private); becomes a frozen QuoteLine at the end.

    Amounts are whole minor units (ints): exact, and several times faster than Decimal arithmetic.
    """

    __slots__ = (
        "base",
        "code",
        "description",
        "discounts",
        "grant",
        "invoice_share",
        "key",
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
        """Start a line with no amounts; the pricing engine fills them in."""
        self.kind, self.code, self.ref, self.option = kind, code, ref, option
        self.product, self.description = product, description
        self.quantity = 1
        self.unit_price = self.base = self.net = self.invoice_share = self.vat = 0
        self.discounts: list[tuple[str, int]] = []
        self.vat_rate: VatEntry
        self.grant: PlanGrant | AddonGrant
        self.key = (0 if kind is LineKind.PLAN else 1, code, ref, option)


class Offer:
    """A candidate promotion with its amounts in whole minor units (private)."""

    __slots__ = ("cap", "code", "fixed", "min_units", "promotion", "ratio", "scope", "stackable", "targets")

    def __init__(self, promotion: Promotion, currency: Currency) -> None:
        """Convert the promotion's amounts to minor units of ``currency``."""
        self.promotion, self.code, self.scope = promotion, promotion.code, promotion.scope
        self.stackable, self.targets = promotion.stackable, promotion.targets
        benefit = promotion.benefit
        self.fixed: int | None = None
        self.cap: int | None = None
        self.ratio = (0, 1)
        if isinstance(benefit, AmountOff):
            self.fixed = to_units(benefit.amount.amount, currency)
        else:
            numerator, denominator = benefit.percent.as_integer_ratio()
            self.ratio = (numerator, denominator * 100)
            self.cap = None if benefit.cap is None else to_units(benefit.cap.amount, currency)
        minimum = promotion.min_amount
        self.min_units = None if minimum is None else to_units(minimum.amount, currency)

    def discount_on(self, units: int) -> int:
        """The discount on ``units`` alone: half-up, capped, never above ``units`` (P2, P7, P8)."""
        if units <= 0:
            return 0
        if self.fixed is not None:
            return min(self.fixed, units)
        numerator, denominator = self.ratio
        off = (2 * units * numerator + denominator) // (2 * denominator)
        if self.cap is not None and self.cap < off:
            off = self.cap
        return min(off, units)

    @property
    def order_key(self) -> tuple[bool, str]:
        """Fixed amounts apply before percentages, then by code (P6)."""
        return (self.fixed is None, self.code)


def find_offers(
    promotions: Iterable[Promotion],
    codes: Iterable[str] | None,
    as_of: dt.date,
    purchase: PurchaseKind,
    redemptions: RedemptionCounts | None,
    currency: Currency,
) -> tuple[list[Offer], list[Refusal]]:
    """The promotions asked for that are eligible on their own terms, and refusals for the others (P3, P4).

    With ``codes`` ``None`` every promotion is asked for; otherwise the codes (matched without regard to
    case) pick promotions from the book, and codes not in it are refused as unknown.

    Raises:
        ValidationError: something that is not a Promotion, or two promotions sharing a code; (P3) ``codes``
            a single string or not a sequence of texts.
    """
    book: dict[str, Promotion] = {}
    for promotion in promotions:
        if not isinstance(promotion, Promotion):
            raise ValidationError("must be a Promotion", field="promotions", value=promotion)
        key = promotion.code.upper()
        if key in book:
            raise ValidationError("two promotions share a code", rule="P3", field="promotions", value=promotion.code)
        book[key] = promotion
    refused: list[Refusal] = []
    asked = list(book.values())
    if codes is not None:
        if isinstance(codes, str) or not isinstance(codes, Iterable):  # a lone code is not read letter by letter
            raise ValidationError("must be a sequence of promotion codes", rule="P3", field="codes", value=codes)
        codes = list(codes)
        if not all(isinstance(c, str) for c in codes):
            raise ValidationError("every promotion code must be a text", rule="P3", field="codes", value=codes)
        wanted = dict.fromkeys(c.strip().upper() for c in codes if c.strip())
        asked = [book[c] for c in wanted if c in book]
        refused += [Refusal(c, RefusalReason.UNKNOWN_CODE) for c in wanted if c not in book]
    candidates = []
    counts = redemptions or _NO_REDEMPTIONS
    for promotion in asked:
        refusal = _ineligible(promotion, as_of, purchase, counts, currency)
        if refusal is None:
            candidates.append(Offer(promotion, currency))
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


def _choose(offers: list[Offer], units: int) -> tuple[list[Offer], str]:
    """The best non-stackable offer plus every stackable one, in the order they apply (P5, P6).

    Also returns the code of the non-stackable winner ("" when there is none), for refusals.
    """
    if len(offers) == 1:
        return offers, offers[0].code
    chosen = [o for o in offers if o.stackable]
    winner = ""
    best: Offer | None = None
    best_key = (0, "")
    for offer in offers:
        if not offer.stackable:
            key = (-offer.discount_on(units), offer.code)
            if best is None or key < best_key:
                best, best_key = offer, key
    if best is not None:
        chosen.append(best)
        winner = best.code
    chosen.sort(key=_order_key)
    return chosen, winner


def _order_key(offer: Offer) -> tuple[bool, str]:
    return offer.order_key


def _discount(line: PricedLine | None, chosen: list[Offer], units: int, applied: dict[str, tuple[Scope, int]]) -> int:
    """Apply ``chosen`` in order on ``units``; return what remains (P6, P8)."""
    remaining = units
    for offer in chosen:
        off = offer.discount_on(remaining)
        remaining -= off
        if line is not None:
            line.discounts.append((offer.code, off))
        before = applied.get(offer.code)
        applied[offer.code] = (offer.scope, off if before is None else before[1] + off)
    return remaining


def apply_line_promotions(
    lines: list[PricedLine],
    candidates: list[Offer],
    gross: int,
    refused: list[Refusal],
    applied: dict[str, tuple[Scope, int]],
) -> None:
    """Apply package and add-on promotions on their own lines (P5, P6); set each line's ``net``.

    On each line the best non-stackable offer wins (ties: the smaller code) beside every stackable one;
    offers that match no line, or lose everywhere, are refused with the reason.
    """
    eligible = _above_minimum([o for o in candidates if o.scope is not Scope.INVOICE], gross, refused)
    if not eligible:
        for line in lines:
            line.net = line.base
        return
    matched: set[str] = set()
    beaten_by: dict[str, str] = {}
    for line in lines:
        scope = Scope.PACKAGE if line.kind is LineKind.PLAN else Scope.ADDON
        code = line.code  # an offer without targets applies to every item of its scope
        here = [o for o in eligible if o.scope is scope and (not o.targets or code in o.targets)]
        if not here:
            line.net = line.base
            continue
        chosen, winner = _choose(here, line.base)
        matched.update(o.code for o in here)
        beaten_by.update((o.code, winner) for o in here if o not in chosen)
        line.net = _discount(line, chosen, line.base, applied)
    for offer in eligible:
        if offer.code not in matched:
            refused.append(Refusal(offer.code, RefusalReason.NOT_APPLICABLE))
        elif offer.code not in applied:
            refused.append(Refusal(offer.code, RefusalReason.OUTRANKED, f"{beaten_by[offer.code]} applies instead"))


def _above_minimum(offers: list[Offer], units: int, refused: list[Refusal]) -> list[Offer]:
    """The offers whose minimum ``units`` reaches; the others are refused (P4)."""
    kept = []
    for offer in offers:
        if offer.min_units is not None and units < offer.min_units:
            refused.append(_below_minimum(offer))
        else:
            kept.append(offer)
    return kept


def _below_minimum(offer: Offer) -> Refusal:
    minimum = offer.promotion.min_amount
    return Refusal(offer.code, RefusalReason.BELOW_MINIMUM, f"minimum {minimum}" if minimum else "")


def apply_invoice_promotions(
    lines: list[PricedLine],
    candidates: list[Offer],
    refused: list[Refusal],
    applied: dict[str, tuple[Scope, int]],
) -> int:
    """Apply invoice promotions on the subtotal after line discounts and allocate them to lines (P6, P7).

    Returns:
        The invoice discount in minor units; each line's ``invoice_share`` is set, adding up to it.
    """
    subtotal = sum([line.net for line in lines])
    eligible = []
    products: set[str] | None = None
    for offer in candidates:
        if offer.scope is not Scope.INVOICE:
            continue
        targets = offer.targets
        if targets and products is None:
            products = {line.product for line in lines}
        if targets and not targets & (products or set()):
            refused.append(Refusal(offer.code, RefusalReason.NOT_APPLICABLE))
        elif offer.min_units is not None and subtotal < offer.min_units:
            refused.append(_below_minimum(offer))
        else:
            eligible.append(offer)
    if not eligible:
        return 0
    chosen, winner = _choose(eligible, subtotal)
    refused.extend(
        Refusal(o.code, RefusalReason.OUTRANKED, f"{winner} applies instead") for o in eligible if o not in chosen
    )
    discount = subtotal - _discount(None, chosen, subtotal, applied)
    if discount:
        for line, share in zip(lines, allocate_units(discount, [line.net for line in lines]), strict=True):
            line.invoice_share = share
    return discount
