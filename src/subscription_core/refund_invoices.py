"""The adjusting invoice a refund of invoiced money asks for (rule Y8).

When a refund of a paid order succeeds (the provider refunded, the bank statement shows the transfer, the
unused part of a cancelled subscription went back), the money refunded was invoiced: the order's invoice
is decreased by an adjusting invoice (hóa đơn điều chỉnh giảm, Decree 123/2020/NĐ-CP art. 19 (2)). The
decrease is split over the invoice's amounts before VAT and its VAT per rate, in proportion to what is
left of each after the earlier refunds' decreases, by largest remainder (:func:`~subscription_core.money.allocate`):
the lines add up to the refund exactly, and refunds adding up to the whole invoice take every rate to zero.

A :class:`RequestedAdjustment` is that decrease kept until the issuer has issued it, as a
:class:`~subscription_core.invoices.RequestedInvoice` is for an invoice (O7): recorded with the refund's
success, issued after it commits, retried when the issuer fails. Its key is the refund's id (and the part
of the order invoiced), so a refund is never adjusted twice. Refunds of unapplied money ask for nothing:
that money was never invoiced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import attrs

from subscription_core.customers import Party
from subscription_core.errors import InvalidTransitionError, ValidationError, aware, non_empty_text, of_type, optional
from subscription_core.errors import whole_number as _whole
from subscription_core.invoice_corrections import AdjustmentLine
from subscription_core.invoices import InvoiceRequest, InvoiceState
from subscription_core.money import Money
from subscription_core.quotes import VatTotal

__all__ = ["RequestedAdjustment", "refund_lines", "remaining_per_rate"]

RULE = "Y8"


@attrs.frozen(kw_only=True)
class RequestedAdjustment:
    """A decrease of the invoice ``part`` of ``order_id`` for the refund ``refund_id``, kept until issued (Y8, O7).

    ``lines`` are negative (ghi dấu âm), one per VAT rate; ``buyer`` is the invoice's buyer and ``reason``
    is written on the adjusting invoice. ``attempts``, ``last_error`` and ``next_attempt_at`` work as on a
    requested invoice; ``number`` is the adjusting invoice's series and number once issued.

    Raises:
        ValidationError: (Y8) a field of the wrong type, no lines, a line that does not decrease.
    """

    refund_id: str = attrs.field(validator=non_empty_text(rule=RULE))
    order_id: str = attrs.field(validator=non_empty_text(rule=RULE))
    part: int = attrs.field(validator=_whole(0, rule=RULE))
    buyer: Party = attrs.field(validator=of_type(Party))
    lines: tuple[AdjustmentLine, ...] = attrs.field(validator=of_type(tuple))
    reason: str = attrs.field(validator=non_empty_text(rule=RULE))
    requested_at: dt.datetime = attrs.field(validator=aware())
    next_attempt_at: dt.datetime = attrs.field(validator=aware())
    state: InvoiceState = attrs.field(default=InvoiceState.PENDING, validator=of_type(InvoiceState))
    attempts: int = attrs.field(default=0, validator=_whole(0, rule=RULE))
    last_attempt_at: dt.datetime | None = attrs.field(default=None, validator=optional(aware()))
    last_error: str | None = attrs.field(default=None, validator=optional(of_type(str)))
    issued_at: dt.datetime | None = attrs.field(default=None, validator=optional(aware()))
    number: str | None = attrs.field(default=None, validator=optional(of_type(str)))
    version: int = attrs.field(default=0, validator=_whole(0))

    def __attrs_post_init__(self) -> None:
        """Check there are lines, each a decrease."""
        if not self.lines or not all(isinstance(line, AdjustmentLine) for line in self.lines):
            raise ValidationError("needs at least one AdjustmentLine", rule=RULE, field="lines")
        if any(line.total.amount >= 0 for line in self.lines):
            raise ValidationError("a refund only decreases the invoice", rule=RULE, field="lines")

    @property
    def key(self) -> str:
        """The adjusting invoice's idempotency key: the refund's id and the part invoiced (``rfd-1/0``)."""
        return f"{self.refund_id}/{self.part}"

    @property
    def pending(self) -> bool:
        """Whether the adjusting invoice is still to be issued (O7)."""
        return self.state is InvoiceState.PENDING

    @property
    def total(self) -> Money:
        """The change of the invoice's total (negative)."""
        return sum((line.total for line in self.lines[1:]), self.lines[0].total)

    def fail(self, *, at: dt.datetime, error: str, retry_at: dt.datetime) -> RequestedAdjustment:
        """Record a failed attempt at ``at`` (its ``error``, without personal data), to retry at ``retry_at``.

        Raises:
            InvalidTransitionError: (Y8) it was issued already.
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

    def issue(self, *, at: dt.datetime, number: str) -> RequestedAdjustment:
        """Record that the adjusting invoice ``number`` (series and number) was issued at ``at``.

        Raises:
            InvalidTransitionError: (Y8) it was issued already.
        """
        self._require_pending()
        return attrs.evolve(self, state=InvoiceState.ISSUED, issued_at=at, number=number, version=self.version + 1)

    def _require_pending(self) -> None:
        if not self.pending:
            raise InvalidTransitionError("the adjusting invoice was issued already", rule=RULE, field="state")


def remaining_per_rate(request: InvoiceRequest, earlier: Iterable[RequestedAdjustment]) -> tuple[VatTotal, ...]:
    """What is left of ``request``'s amounts per VAT rate after the ``earlier`` decreases of the same invoice.

    Never below zero per amount: an earlier decrease larger than what it found left was capped when made.
    """
    left = {total.rate: [total.taxable, total.vat] for total in request.vat_totals}
    for adjustment in earlier:
        if (adjustment.order_id, adjustment.part) != request.key:
            continue
        for line in adjustment.lines:
            if line.vat_rate in left:
                left[line.vat_rate][0] += line.taxable
                left[line.vat_rate][1] += line.vat
    zero = Money.zero(request.grand_total.currency)
    return tuple(VatTotal(rate, max(t, zero), max(v, zero)) for rate, (t, v) in left.items())


def refund_lines(refund: Money, remaining: Sequence[VatTotal], *, refund_id: str) -> tuple[AdjustmentLine, ...]:
    """The negative lines, one per VAT rate, that decrease an invoice by ``refund`` (Y8).

    ``refund`` is split over the ``remaining`` amounts before VAT and VAT of each rate, in proportion, by
    largest remainder: the lines add up to ``-refund`` exactly, and a refund of all that remains takes each
    amount to zero. A refund larger than what remains is capped at it (the rest was never invoiced). Empty
    when nothing remains.

    Raises:
        ValidationError: (Y8) a refund not above zero. CurrencyMismatchError: amounts of another currency.
    """
    if not isinstance(refund, Money) or refund.amount <= 0:
        raise ValidationError("must be Money above zero", rule=RULE, field="refund", value=refund)
    weights = [amount.amount for total in remaining for amount in (total.taxable, total.vat)]
    if not any(weights):
        return ()
    zero = Money.zero(refund.currency)
    left = sum((total.taxable + total.vat for total in remaining), zero)
    shares = min(refund, left).allocate(weights)
    lines = []
    for i, total in enumerate(remaining):
        taxable, vat = shares[2 * i], shares[2 * i + 1]
        if not taxable and not vat:
            continue
        lines.append(
            AdjustmentLine(
                code="HOANTIEN",
                description=f"Giảm do hoàn tiền {refund_id} (thuế suất {total.rate.label})",
                vat_rate=total.rate,
                taxable=-taxable,
                vat=-vat,
            )
        )
    return tuple(lines)
