"""E-invoices requested when an order is paid (rules I1, I2).

An :class:`InvoiceRequest` is what the invoice-issuer port receives: the buyer's name, address, tax code
and e-mail, and each line with its VAT rate and amounts in whole đồng, frozen from the order (C5). A bulk
renewal invoiced to each client (B2) asks for one invoice per client; one invoiced to "Other" asks for a
single invoice. Each request is numbered ``part`` within its order: (order id, part) is unique.
"""

from __future__ import annotations

import datetime as dt

import attrs

from subscription_core.customers import Party
from subscription_core.errors import ValidationError, aware, non_empty_text, of_type
from subscription_core.money import Money
from subscription_core.order_lines import OrderLine
from subscription_core.orders import Order
from subscription_core.quotes import VatTotal
from subscription_core.tax import VatRate

__all__ = ["InvoiceRequest", "IssuedInvoice", "invoice_requests"]


@attrs.frozen(kw_only=True)
class InvoiceRequest:
    """One e-invoice to issue for a paid order (I1), sent to the buyer's invoice e-mail (I2).

    ``part`` numbers the invoices of one order from 0; ``customer_ids`` are the clients whose lines it
    holds. The amounts add up as on the order: the lines' taxable amounts and VAT to ``pretax_total`` and
    ``vat_total``, and ``vat_totals`` per rate.

    Raises:
        ValidationError: an empty id, no lines, amounts that do not add up, or a buyer without an e-mail.
    """

    order_id: str = attrs.field(validator=non_empty_text(rule="I1"))
    part: int = attrs.field(validator=of_type(int))
    customer_ids: tuple[str, ...] = attrs.field(validator=of_type(tuple))
    buyer: Party = attrs.field(validator=of_type(Party))
    lines: tuple[OrderLine, ...] = attrs.field(validator=of_type(tuple))
    vat_totals: tuple[VatTotal, ...] = attrs.field(validator=of_type(tuple))
    pretax_total: Money = attrs.field(validator=of_type(Money))
    vat_total: Money = attrs.field(validator=of_type(Money))
    grand_total: Money = attrs.field(validator=of_type(Money))
    requested_at: dt.datetime = attrs.field(validator=aware())

    def __attrs_post_init__(self) -> None:
        """Check there are lines and that the totals add up."""
        if not self.lines:
            raise ValidationError("an invoice needs at least one line", rule="I1", field="lines", value=())
        zero = Money.zero(self.grand_total.currency)
        if sum((line.taxable for line in self.lines), zero) != self.pretax_total:
            raise ValidationError("lines must add up to the pre-tax total", rule="I1", field="pretax_total")
        if sum((t.vat for t in self.vat_totals), zero) != self.vat_total:
            raise ValidationError("VAT per rate must add up to the VAT total", rule="I1", field="vat_total")
        if self.pretax_total + self.vat_total != self.grand_total:
            raise ValidationError("must be pre-tax total + VAT", rule="I1", field="grand_total")

    @property
    def key(self) -> tuple[str, int]:
        """What makes an invoice unique: its order and its part (I1)."""
        return (self.order_id, self.part)


@attrs.frozen(kw_only=True)
class IssuedInvoice:
    """An e-invoice as issued: its series and number, for one order and customer (I1)."""

    order_id: str = attrs.field(validator=non_empty_text(rule="I1"))
    part: int = attrs.field(validator=of_type(int))
    series: str = attrs.field(validator=non_empty_text(rule="I1"))
    number: str = attrs.field(validator=non_empty_text(rule="I1"))
    issued_at: dt.datetime = attrs.field(validator=aware())
    grand_total: Money = attrs.field(validator=of_type(Money))

    @property
    def key(self) -> tuple[str, int]:
        """One invoice per order and part (I1)."""
        return (self.order_id, self.part)


def invoice_requests(order: Order, at: dt.datetime) -> tuple[InvoiceRequest, ...]:
    """The invoices a paid order asks for: one per invoice buyer, in line order (I1, B2).

    An invoice's VAT per rate is the sum of its lines' VAT shares, so the invoices of one order add up
    to the order's VAT exactly; with a single invoice they are the order's own VAT totals.
    """
    groups = order.invoices()
    requests = []
    for part, (info, lines) in enumerate(groups):
        vat_totals = order.vat_totals if len(groups) == 1 else _vat_totals(lines)
        zero = Money.zero(order.currency)
        pretax = sum((line.taxable for line in lines), zero)
        vat = sum((t.vat for t in vat_totals), zero)
        requests.append(
            InvoiceRequest(
                order_id=order.id,
                part=part,
                customer_ids=tuple(dict.fromkeys(line.customer_id for line in lines)),
                buyer=info.buyer,
                lines=lines,
                vat_totals=vat_totals,
                pretax_total=pretax,
                vat_total=vat,
                grand_total=pretax + vat,
                requested_at=at,
            )
        )
    return tuple(requests)


def _vat_totals(lines: tuple[OrderLine, ...]) -> tuple[VatTotal, ...]:
    groups: dict[VatRate, list[OrderLine]] = {}
    for line in lines:
        groups.setdefault(line.vat_rate, []).append(line)
    totals = []
    for rate in sorted(groups, key=lambda r: r.sort_key):
        group = groups[rate]
        zero = Money.zero(group[0].taxable.currency)
        totals.append(VatTotal(rate, sum((g.taxable for g in group), zero), sum((g.vat for g in group), zero)))
    return tuple(totals)
