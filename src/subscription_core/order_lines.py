"""Order lines: a quote line's prices and what it grants, frozen onto an order, and each customer's details.

An :class:`OrderLine` copies a :class:`~subscription_core.quotes.QuoteLine` for the customer it is for
(:meth:`OrderLine.freeze`): its prices (C5), what it grants once paid and the catalog version it was priced
from (O6), so a later catalog change touches nothing. A :class:`Billing` holds the licence and invoice
details of one customer of an order (O2, B2).
"""

from __future__ import annotations

import attrs

from subscription_core.customers import InvoiceInfo, Party
from subscription_core.errors import (
    ValidationError,
    any_text,
    non_empty_text,
    of_type,
    optional,
    tuple_of,
    whole_number,
)
from subscription_core.grants import AddonGrant, PlanGrant
from subscription_core.money import Money
from subscription_core.quotes import LineDiscount, LineKind, QuoteLine
from subscription_core.tax import VatRate

__all__ = ["Billing", "OrderLine"]


@attrs.frozen(kw_only=True)
class OrderLine:
    """One line of an order, every priced figure (C5) and what it grants (O6) frozen from its quote line.

    ``customer_id`` is the customer the line is for; ``subscription_id`` the subscription it renews or adds
    to (``None`` for a new purchase); ``ref`` the quote line's ref. ``taxable`` is ``base`` less the line's
    discounts and its share of the invoice discount. ``grant`` is what the line grants once paid (a
    :class:`~subscription_core.grants.PlanGrant` for a plan line, an
    :class:`~subscription_core.grants.AddonGrant` for an add-on line) and ``catalog_version`` the version of
    the catalog it was priced from (O6); both are empty on a line stored before O6 froze them.

    Raises:
        ValidationError: a field of the wrong type, mixed currencies, a negative amount (P8), figures that
            do not add up, or a grant of the other kind of line (O6).
    """

    kind: LineKind = attrs.field(validator=of_type(LineKind))
    code: str = attrs.field(validator=non_empty_text())
    option: str = attrs.field(validator=of_type(str))
    product: str = attrs.field(validator=non_empty_text())
    description: str = attrs.field(validator=of_type(str))
    quantity: int = attrs.field(validator=whole_number(1))
    unit_price: Money = attrs.field(validator=of_type(Money))
    base: Money = attrs.field(validator=of_type(Money))
    discounts: tuple[LineDiscount, ...] = attrs.field(validator=tuple_of(LineDiscount))
    invoice_discount: Money = attrs.field(validator=of_type(Money))
    taxable: Money = attrs.field(validator=of_type(Money))
    vat_rate: VatRate = attrs.field(validator=of_type(VatRate))
    vat: Money = attrs.field(validator=of_type(Money))
    customer_id: str = attrs.field(validator=non_empty_text())
    subscription_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    ref: str = attrs.field(default="", validator=of_type(str))
    grant: PlanGrant | AddonGrant | None = attrs.field(default=None, validator=optional(of_type(PlanGrant, AddonGrant)))
    catalog_version: str = attrs.field(default="", validator=any_text())

    def __attrs_post_init__(self) -> None:
        """Check one currency, no negative amount (P8), taxable = base - discounts (C5), the grant's kind (O6)."""
        amounts = [self.unit_price, self.base, self.invoice_discount, self.taxable, self.vat]
        amounts += [d.amount for d in self.discounts]
        if any(not isinstance(a, Money) or a.currency != self.base.currency for a in amounts):
            raise ValidationError(
                "every amount must be Money in one currency", rule="C5", field="lines", value=self.code
            )
        if any(a.amount < 0 for a in amounts):
            raise ValidationError("no amount may be negative", rule="P8", field="lines", value=self.code)
        if self.taxable != self.base - self.line_discount - self.invoice_discount:
            raise ValidationError("taxable must be base less discounts", rule="C5", field="lines", value=self.code)
        if self.grant is not None and isinstance(self.grant, PlanGrant) != (self.kind is LineKind.PLAN):
            raise ValidationError(
                f"a {self.kind.value} line cannot grant a {type(self.grant).__name__}",
                rule="O6",
                field="grant",
                value=self.code,
            )

    @classmethod
    def freeze(
        cls, line: QuoteLine, *, customer_id: str, subscription_id: str | None = None, catalog_version: str = ""
    ) -> OrderLine:
        """Copy every priced figure (C5) and the grant (O6) of ``line`` for ``customer_id`` and ``subscription_id``.

        ``catalog_version`` is the version of the catalog the line was priced from (O6).
        """
        if not isinstance(line, QuoteLine):
            raise ValidationError("must be a QuoteLine", rule="C5", field="lines", value=line)
        return cls(
            kind=line.kind,
            code=line.code,
            option=line.option,
            product=line.product,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            base=line.base,
            discounts=tuple(line.discounts),
            invoice_discount=line.invoice_discount,
            taxable=line.taxable,
            vat_rate=line.vat_rate,
            vat=line.vat,
            customer_id=customer_id,
            subscription_id=subscription_id,
            ref=line.ref,
            grant=line.grant,
            catalog_version=catalog_version,
        )

    @property
    def line_discount(self) -> Money:
        """The sum of the line's own promotions."""
        return sum((d.amount for d in self.discounts), Money.zero(self.base.currency))

    @property
    def total(self) -> Money:
        """The taxable amount plus VAT."""
        return self.taxable + self.vat


@attrs.frozen(kw_only=True)
class Billing:
    """The details one customer of an order carries (O2, B2): its licence details and its invoice details."""

    customer_id: str = attrs.field(validator=non_empty_text())
    subscriber: Party = attrs.field(validator=of_type(Party))
    invoice: InvoiceInfo = attrs.field(validator=of_type(InvoiceInfo))
