"""A refund of an invoiced order decreases its invoice through the reference e-invoice issuer (Y8), on every store.

The shop of ``test_invoicing_end_to_end`` (VNPay and the reference issuer) sells a year of Standard; staff
cancel it 100 days later, refunding its unused days by bank transfer; the statement's debit confirms the
refund, and the reference issuer issues the decrease, a new invoice with its own number, naming the
invoice. On memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import attrs
import pytest

from subscription_core.invoice_corrections import CorrectionKind
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.refunds import RefundDebit, RefundMethod, RefundState
from subscription_core.services import UnusedTermRefund, cancel_subscription, confirm_bank_refunds
from subscription_core_adapters.einvoice import ReferenceInvoiceIssuer

from .test_invoicing_end_to_end import STAFF, Shop, open_shop


@pytest.fixture
def shop(units: UnitOfWorkFactory) -> Iterator[Shop]:
    """A fresh shop on each repository adapter."""
    with open_shop(units) as made:
        yield made


def test_y8_a_refund_confirmed_by_a_statement_decreases_the_invoice_by_its_amount(shop: Shop) -> None:
    reference = shop.issuer.issuer
    assert isinstance(reference, ReferenceInvoiceIssuer)
    shop.deps = attrs.evolve(shop.deps, invoices=reference)  # the reference issuer itself: it corrects too
    order = shop.place()
    assert shop.pay_by_card(order).rsp_code == "00"
    with shop.deps.uow() as uow:
        (invoice,) = uow.invoices.of_order(order.id)
        (payment,) = uow.payments.of_order(order.id)
    shop.clock.advance(dt.timedelta(days=100))
    how = UnusedTermRefund(payment_id=payment.id, method=RefundMethod.BANK_TRANSFER, reference="HT-0001")
    sub = order.lines[0].ref
    assert sub is not None
    closed = cancel_subscription(
        shop.deps, STAFF, subscription_id=sub, reason="closing", idempotency_key="c", refund=how
    )
    refund = closed.refund
    assert refund is not None
    debit = RefundDebit(line_id="FT-1", booked_at=shop.clock.now(), amount=refund.amount, description="HT-0001")
    assert [r.state for r in confirm_bank_refunds(shop.deps, STAFF, [debit])] == [RefundState.SUCCEEDED]
    (adjusting,) = reference.corrections_of(invoice)
    assert (adjusting.kind, adjusting.grand_total) == (CorrectionKind.ADJUSTMENT, -refund.amount)
    assert (adjusting.original_series, adjusting.original_number) == (invoice.series, invoice.number)
    assert (adjusting.series, adjusting.number) != (invoice.series, invoice.number)  # a new invoice
    with shop.deps.uow() as uow:
        (decrease,) = uow.invoices.adjustments_of(order.id)
    assert (decrease.pending, decrease.number) == (False, f"{adjusting.series} {adjusting.number}")
    confirm_bank_refunds(shop.deps, STAFF, [debit])  # the statement read again: nothing more
    assert len(reference.corrections_of(invoice)) == 1
