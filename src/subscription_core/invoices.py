"""E-invoices requested when an order is paid, and their way to being issued (rules I1, I2, I3, O7).

An :class:`InvoiceRequest` is what the invoice-issuer port receives: the buyer's name, address, tax code
and e-mail, and each line with its VAT rate and amounts in whole đồng, frozen from the order (C5). A bulk
renewal invoiced to each client (B2) asks for one invoice per client; one invoiced to "Other" asks for a
single invoice. Each request is numbered ``part`` within its order: (order id, part) is unique.

A :class:`RequestedInvoice` is a request kept until the issuer has issued it (O7): fulfilling an order
stores its requests *pending*, in the fulfilment's own unit of work, and never waits for the issuer; the
invoices are issued after that commits, and a failed attempt is kept with its error and a retry time. So an
order that is never fulfilled (cancelled, lapsed, a payment rolled back) has no request and takes no invoice
number (I3), and an issuer that is down never holds back an activation (O7).
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from subscription_core.customers import Party
from subscription_core.errors import (
    InvalidTransitionError,
    ValidationError,
    aware,
    non_empty_text,
    of_type,
    optional,
    whole_number,
)
from subscription_core.money import Money
from subscription_core.order_lines import OrderLine
from subscription_core.orders import Order
from subscription_core.quotes import VatTotal
from subscription_core.tax import VatRate

__all__ = ["InvoiceRequest", "InvoiceShare", "InvoiceState", "IssuedInvoice", "RequestedInvoice", "invoice_requests"]


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


@attrs.frozen(kw_only=True)
class InvoiceShare:
    """An issued e-invoice as one company sees it (I1, B2): its number, and only the company's own lines.

    A bulk renewal invoiced to one typed-in buyer (B2, "Other") puts every client's lines on one invoice;
    each client sees that invoice's number with its own lines and what they come to (``total``: taxable +
    VAT), never the other clients' lines or the invoice's grand total. ``shared`` says other companies'
    lines are on it; when it is not, ``lines`` are all the invoice's lines and ``total`` its grand total.
    """

    order_id: str
    part: int
    series: str
    number: str
    issued_at: dt.datetime
    lines: tuple[OrderLine, ...]
    total: Money
    shared: bool

    @classmethod
    def of(cls, invoice: IssuedInvoice, lines: tuple[OrderLine, ...], customer_id: str) -> InvoiceShare:
        """``invoice`` as ``customer_id`` sees it, from the ``lines`` the invoice holds (its part of the order)."""
        own = tuple(line for line in lines if line.customer_id == customer_id)
        zero = Money.zero(invoice.grand_total.currency)
        return cls(
            order_id=invoice.order_id,
            part=invoice.part,
            series=invoice.series,
            number=invoice.number,
            issued_at=invoice.issued_at,
            lines=own,
            total=sum((line.total for line in own), zero),
            shared=len(own) != len(lines),
        )

    @classmethod
    def whole(cls, invoice: IssuedInvoice, lines: tuple[OrderLine, ...]) -> InvoiceShare:
        """``invoice`` whole, with all the ``lines`` it holds: as staff or the buyer of an ordinary order see it."""
        return cls(
            order_id=invoice.order_id,
            part=invoice.part,
            series=invoice.series,
            number=invoice.number,
            issued_at=invoice.issued_at,
            lines=lines,
            total=invoice.grand_total,
            shared=False,
        )


class InvoiceState(enum.Enum):
    """Where a requested invoice stands (O7): pending (never tried, or failed and to be retried), or issued."""

    PENDING = "pending"
    ISSUED = "issued"


@attrs.frozen(kw_only=True)
class RequestedInvoice:
    """An invoice a fulfilled order asked for, kept until it is issued (O7, I3): entity keyed by order and part.

    ``next_attempt_at`` is when it may be tried (again); ``attempts`` counts the failed tries, and
    ``last_error`` says what the last one met (no personal data: errors carry masked values only). The verbs
    return a new request one version higher.

    Raises:
        ValidationError: a field of the wrong type, a naive instant, a negative count or version.
    """

    request: InvoiceRequest = attrs.field(validator=of_type(InvoiceRequest))
    next_attempt_at: dt.datetime = attrs.field(validator=aware())
    state: InvoiceState = attrs.field(default=InvoiceState.PENDING, validator=of_type(InvoiceState))
    attempts: int = attrs.field(default=0, validator=whole_number(0, rule="O7"))
    last_attempt_at: dt.datetime | None = attrs.field(default=None, validator=optional(aware()))
    last_error: str | None = attrs.field(default=None, validator=optional(of_type(str)))
    issued_at: dt.datetime | None = attrs.field(default=None, validator=optional(aware()))
    version: int = attrs.field(default=0, validator=whole_number(0))

    @classmethod
    def of(cls, request: InvoiceRequest) -> RequestedInvoice:
        """A new pending request, due at once (when the order asked for it)."""
        return cls(request=request, next_attempt_at=request.requested_at)

    @property
    def key(self) -> tuple[str, int]:
        """Its order and part, as the invoice issued for it will have (I1)."""
        return self.request.key

    @property
    def order_id(self) -> str:
        """The order that asked for it."""
        return self.request.order_id

    @property
    def pending(self) -> bool:
        """Whether it is still to be issued (O7)."""
        return self.state is InvoiceState.PENDING

    def fail(self, *, at: dt.datetime, error: str, retry_at: dt.datetime) -> RequestedInvoice:
        """Record a failed attempt at ``at`` (its ``error``, which holds no personal data), to retry at ``retry_at``.

        Raises:
            InvalidTransitionError: (O7) it was issued already.
        """
        self._require_pending()
        return attrs.evolve(
            self,
            attempts=self.attempts + 1,
            last_attempt_at=at,
            last_error=error,
            next_attempt_at=retry_at,
            version=self.version + 1,
        )

    def issue(self, *, at: dt.datetime) -> RequestedInvoice:
        """Record that the invoice was issued at ``at`` (O7); its number is the issued invoice's.

        Raises:
            InvalidTransitionError: (O7) it was issued already.
        """
        self._require_pending()
        return attrs.evolve(self, state=InvoiceState.ISSUED, issued_at=at, version=self.version + 1)

    def _require_pending(self) -> None:
        if not self.pending:
            raise InvalidTransitionError("the invoice was issued already", rule="O7", field="state", value=self.key)


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
