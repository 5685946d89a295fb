"""What a buyer selects and what a quote answers: the inputs and outputs of :func:`pricing.quote`.

All values here are frozen; a :class:`Quote` is the exact breakdown that an order freezes (C5) and that an
e-invoice prints (I1): lines with their discounts and VAT, VAT totals per rate, and the totals. Each line
also carries what it grants once paid, and the quote the catalog version it was priced from (O6).
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from subscription_core.errors import ValidationError, any_text, whole_number
from subscription_core.grants import AddonGrant, PlanGrant
from subscription_core.limits import MAX_CYCLES, MAX_QUANTITY
from subscription_core.money import Currency, Money
from subscription_core.promotions import PurchaseKind, Refusal, Scope
from subscription_core.tax import VatRate

__all__ = [
    "AddonSelection",
    "AppliedPromotion",
    "LineDiscount",
    "LineKind",
    "PlanSelection",
    "Proration",
    "Quote",
    "QuoteLine",
    "Selection",
    "VatTotal",
]


@attrs.frozen(kw_only=True)
class Proration:
    """The part of a term that remains, for storage bought mid-term (S6): ``days_left`` of ``term_days``."""

    days_left: int = attrs.field(validator=whole_number(0))
    term_days: int = attrs.field(validator=whole_number(1))

    def __attrs_post_init__(self) -> None:
        """Check that no more days are left than the term has."""
        if self.days_left > self.term_days:
            raise ValidationError("cannot exceed term_days", rule="S6", field="days_left", value=self.days_left)

    def share(self, units: int) -> int:
        """Return ``units`` (minor units) x ``days_left`` / ``term_days``, rounded half-up to a whole unit (S6).

        The one proration of the library: storage bought mid-term (S6) and the unused part of a cancelled
        term refunded (Y8) are both priced by it. Over a whole term it gives exactly ``units``.
        """
        return (2 * units * self.days_left + self.term_days) // (2 * self.term_days)


@attrs.frozen(kw_only=True)
class PlanSelection:
    """A plan bought with one of its pricing options (C1).

    ``ref`` tells apart several lines of the same plan in one order (a bulk renewal names each client's
    subscription there).
    """

    plan: str = attrs.field(validator=any_text())
    option: str = attrs.field(validator=any_text())
    ref: str = attrs.field(default="", validator=any_text())


@attrs.frozen(kw_only=True)
class AddonSelection:
    """An add-on and its quantity (C3).

    ``cycles`` sets how many cycles a per-cycle add-on service is bought for; by default, the number of
    cycles of the plan option it is bought with. ``prorate`` prices storage bought mid-term for the days
    left (S6), unless the catalog marks the add-on full-price.
    """

    addon: str = attrs.field(validator=any_text())
    quantity: int = attrs.field(default=1, validator=whole_number(1, rule="C3", maximum=MAX_QUANTITY))
    ref: str = attrs.field(default="", validator=any_text())
    cycles: int | None = None
    prorate: Proration | None = None

    def __attrs_post_init__(self) -> None:
        """Check ``cycles`` when given."""
        if self.cycles is not None and (isinstance(self.cycles, bool) or not isinstance(self.cycles, int)):
            raise ValidationError("must be a whole number >= 1", field="cycles", value=self.cycles)
        if self.cycles is not None and not 1 <= self.cycles <= MAX_CYCLES:
            raise ValidationError(f"must be a whole number >= 1 and <= {MAX_CYCLES}", field="cycles", value=self.cycles)


Selection = PlanSelection | AddonSelection


class LineKind(enum.Enum):
    """What a quote line sells."""

    PLAN = "plan"
    ADDON = "addon"


@attrs.frozen
class LineDiscount:
    """A promotion's discount on one line."""

    code: str
    amount: Money


@attrs.frozen(kw_only=True)
class QuoteLine:
    """One priced line of a quote.

    ``base`` is ``unit_price`` × ``quantity`` (× cycles, or prorated); ``discounts`` are the package or
    add-on promotions on it; ``invoice_discount`` is its share of the invoice promotions; ``taxable`` is
    what is left; ``vat`` its share of its rate's VAT total. ``grant`` is what the line grants once paid,
    copied from the catalog with the price (O6).
    """

    kind: LineKind
    code: str
    ref: str
    option: str
    product: str
    description: str
    quantity: int
    unit_price: Money
    base: Money
    discounts: tuple[LineDiscount, ...]
    invoice_discount: Money
    taxable: Money
    vat_rate: VatRate
    vat: Money
    grant: PlanGrant | AddonGrant | None = None

    @property
    def line_discount(self) -> Money:
        """The sum of this line's own promotions."""
        return sum((d.amount for d in self.discounts), Money.zero(self.base.currency))

    @property
    def net(self) -> Money:
        """The base less the line's own promotions, before the invoice discount."""
        return self.base - self.line_discount

    @property
    def total(self) -> Money:
        """The taxable amount plus VAT."""
        return self.taxable + self.vat


@attrs.frozen
class VatTotal:
    """The VAT of one rate: computed once on the sum of that rate's taxable amounts (P7)."""

    rate: VatRate
    taxable: Money
    vat: Money


@attrs.frozen
class AppliedPromotion:
    """A promotion that was applied, with the whole discount it gave."""

    code: str
    scope: Scope
    amount: Money


@attrs.frozen(kw_only=True)
class Quote:
    """The exact price of an order as of a date (P6-P8).

    ``lines`` come in a canonical order (plans, then add-ons, by code and ref), so a quote never depends on
    the order of its inputs. ``pretax_total`` + ``vat_total`` = ``grand_total``; the lines add up to the
    totals to the last minor unit. ``catalog_version`` is the :attr:`~subscription_core.catalog.Catalog.version`
    of the catalog it was priced from (O6).
    """

    currency: Currency
    as_of: dt.date
    purchase: PurchaseKind
    lines: tuple[QuoteLine, ...]
    vat_totals: tuple[VatTotal, ...]
    applied: tuple[AppliedPromotion, ...]
    refused: tuple[Refusal, ...]
    subtotal: Money
    line_discount_total: Money
    invoice_discount_total: Money
    pretax_total: Money
    vat_total: Money
    grand_total: Money
    catalog_version: str = ""

    @property
    def discount_total(self) -> Money:
        """Every discount of the quote, line and invoice."""
        return self.line_discount_total + self.invoice_discount_total
