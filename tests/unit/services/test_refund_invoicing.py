"""A refund of invoiced money asks for the adjusting invoice (Y8): worked examples, in memory."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import attrs
import pytest

from subscription_core.errors import ValidationError
from subscription_core.invoice_corrections import (
    CorrectionKind,
    InvoiceAdjustment,
    InvoiceReplacement,
    IssuedCorrection,
)
from subscription_core.invoices import InvoiceRequest, IssuedInvoice
from subscription_core.money import Money
from subscription_core.ports import RefundOutcome
from subscription_core.quotes import VatTotal
from subscription_core.refund_invoices import RequestedAdjustment, refund_lines
from subscription_core.refunds import Refund, RefundDebit, RefundKind, RefundMethod, RefundState
from subscription_core.services import (
    AddonChoice,
    NewPurchase,
    UnusedTermRefund,
    cancel_subscription,
    confirm_bank_refunds,
    run_scheduler,
    settle_refund,
)
from subscription_core.services.refund_invoicing import NO_CORRECTOR, issue_adjustments, request_adjustments
from subscription_core.tax import VatRate
from subscription_core_adapters.fakes import FakeRefundGateway, MemoryInvoiceIssuer

from .harness import STAFF, World

VND = "VND"


@pytest.fixture
def gateway(world: World) -> FakeRefundGateway:
    refunds = FakeRefundGateway("vnptpay")
    world.deps = attrs.evolve(world.deps, refund_gateways={"vnptpay": refunds})
    return refunds


def _bought(world: World, gateway: FakeRefundGateway) -> tuple[str, str, IssuedInvoice, InvoiceRequest]:
    """Standard 1y (6 000 000, KCT) with training (1 500 000 + 10 % VAT): 7 650 000 paid by wallet, invoiced."""
    request = NewPurchase(customer_id="cus-1", plan="std", option="1y", addons=(AddonChoice(addon="training"),))
    order = world.place(request)
    world.pay_online(order)
    with world.deps.uow() as uow:
        (payment,) = uow.payments.of_order(order.id)
        (invoice,) = uow.invoices.of_order(order.id)
        (asked,) = uow.invoices.requested_of(order.id)
    gateway.knows(payment.provider_ref or "", payment.amount.amount)
    sub = next(line.subscription_id or line.ref for line in order.lines)
    assert sub is not None
    assert invoice.grand_total == Money.of(7_650_000, VND)
    return sub, payment.id, invoice, asked.request


def _cancel(
    world: World,
    sub_id: str,
    payment_id: str,
    *,
    method: RefundMethod = RefundMethod.PROVIDER,
    reference: str | None = None,
    key: str = "c-1",
) -> Refund:
    how = UnusedTermRefund(payment_id=payment_id, method=method, reference=reference)
    done = cancel_subscription(
        world.deps, STAFF, subscription_id=sub_id, reason="closing", idempotency_key=key, refund=how
    )
    assert done.refund is not None
    return done.refund


def _adjustments(world: World, order_id: str) -> list[RequestedAdjustment]:
    with world.deps.uow() as uow:
        return uow.invoices.adjustments_of(order_id)


def _net(issuer: MemoryInvoiceIssuer, invoice: IssuedInvoice | IssuedCorrection) -> Money:
    """What ``invoice`` comes to with its adjustments, through its replacements."""
    total = invoice.grand_total
    for correction in issuer.corrections_of(invoice):
        if correction.kind is CorrectionKind.REPLACEMENT:
            return _net(issuer, correction)
        total += correction.grand_total
    return total


def test_y8_worked_example_a_partial_refund_decreases_the_invoice_by_it_split_per_rate(
    world: World, gateway: FakeRefundGateway
) -> None:
    sub_id, payment_id, invoice, request = _bought(world, gateway)
    world.clock.advance(dt.timedelta(days=100))
    refund = _cancel(world, sub_id, payment_id)
    assert refund.state is RefundState.SUCCEEDED
    (adjusting,) = world.issuer.corrections
    assert (adjusting.kind, adjusting.original_number) == (CorrectionKind.ADJUSTMENT, invoice.number)
    assert adjusting.grand_total == -refund.amount
    (asked,) = _adjustments(world, invoice.order_id)
    assert asked.key == f"{refund.id}/0"
    assert asked.number == f"{adjusting.series} {adjusting.number}"
    # Each of the four amounts (KCT before VAT and VAT, 10 % before VAT and VAT) takes its share of the
    # refund, to less than one đồng, and the shares add up to the refund exactly.
    parts = {line.vat_rate: line for line in asked.lines}
    for total in request.vat_totals:
        for got, whole in ((parts[total.rate].taxable, total.taxable), (parts[total.rate].vat, total.vat)):
            exact = refund.amount.amount * whole.amount / request.grand_total.amount
            assert abs(-got.amount - exact) < 1
    assert sum((line.total for line in asked.lines), Money.zero(VND)) == -refund.amount
    assert _net(world.issuer, invoice) == invoice.grand_total - refund.amount


def test_y8_a_full_refund_nets_the_invoice_to_zero(world: World, gateway: FakeRefundGateway) -> None:
    _sub, payment_id, invoice, request = _bought(world, gateway)
    with world.deps.uow() as uow:
        payment = uow.payments.get(payment_id)
        made = Refund.request(
            id="rfd-all",
            kind=RefundKind.UNUSED_TERM,
            amount=payment.amount,
            refundable=payment.amount,
            method=RefundMethod.BANK_TRANSFER,
            at=world.clock.now(),
            by=STAFF,
            reason="never used",
            order_id=payment.order_id,
            subscription_id=_sub,
            payment_id=payment.id,
            reference="HT-ALL",
        )
        uow.refunds.add(made)
        uow.commit()
    debit = RefundDebit(line_id="D1", booked_at=world.clock.now(), amount=payment.amount, description="HT-ALL")
    (done,) = confirm_bank_refunds(world.deps, STAFF, [debit])
    assert done.state is RefundState.SUCCEEDED
    (asked,) = _adjustments(world, invoice.order_id)
    assert {(line.vat_rate, -line.taxable, -line.vat) for line in asked.lines} == {
        (t.rate, t.taxable, t.vat) for t in request.vat_totals if t.taxable or t.vat
    }
    assert _net(world.issuer, invoice) == Money.zero(VND)


def test_y8_a_refund_of_a_replaced_invoice_adjusts_the_replacement(world: World, gateway: FakeRefundGateway) -> None:
    sub_id, payment_id, invoice, request = _bought(world, gateway)
    replaced = world.issuer.replace(
        InvoiceReplacement(key="rep-1", original=invoice, request=request, reason="Sai tên người mua")
    )
    world.clock.advance(dt.timedelta(days=30))
    refund = _cancel(world, sub_id, payment_id)
    adjusting = world.issuer.corrections[-1]
    assert adjusting.kind is CorrectionKind.ADJUSTMENT
    assert (adjusting.original_series, adjusting.original_number) == (replaced.series, replaced.number)
    assert _net(world.issuer, invoice) == replaced.grand_total - refund.amount


class _FlakyCorrector(MemoryInvoiceIssuer):
    """Issues invoices, but its corrections fail while ``down``."""

    down = True

    def adjust(self, adjustment: InvoiceAdjustment) -> IssuedCorrection:
        if self.down:
            raise ConnectionError("e-invoice provider unreachable")
        return super().adjust(adjustment)


def test_y8_an_issuer_down_leaves_the_decrease_pending_and_the_scheduler_retries_it(
    world: World, gateway: FakeRefundGateway
) -> None:
    flaky = _FlakyCorrector(series=world.issuer.series)
    world.deps = attrs.evolve(world.deps, invoices=flaky)
    sub_id, payment_id, invoice, _request = _bought(world, gateway)
    world.clock.advance(dt.timedelta(days=100))
    refund = _cancel(world, sub_id, payment_id)
    assert refund.state is RefundState.SUCCEEDED  # the refund stands whatever the issuer answers
    (asked,) = _adjustments(world, invoice.order_id)
    assert (asked.pending, asked.attempts, asked.last_error) == (True, 1, "ConnectionError")
    assert not any(c.kind is CorrectionKind.ADJUSTMENT for c in flaky.corrections)
    run_scheduler(world.deps)  # not due yet: five minutes later
    assert _adjustments(world, invoice.order_id)[0].attempts == 1
    flaky.down = False
    world.clock.advance(dt.timedelta(minutes=5))
    run = run_scheduler(world.deps)
    assert run.invoices_issued == 1
    (after,) = _adjustments(world, invoice.order_id)
    assert not after.pending
    (adjusting,) = flaky.corrections
    assert adjusting.grand_total == -refund.amount


def test_y8_a_refund_settled_again_or_a_statement_read_twice_adjusts_once(
    world: World, gateway: FakeRefundGateway
) -> None:
    sub_id, payment_id, invoice, _request = _bought(world, gateway)
    world.clock.advance(dt.timedelta(days=100))
    refund = _cancel(world, sub_id, payment_id, method=RefundMethod.BANK_TRANSFER, reference="HT-9")
    assert refund.state is RefundState.REQUESTED
    assert _adjustments(world, invoice.order_id) == []  # not yet: the money has not left
    debit = RefundDebit(line_id="D9", booked_at=world.clock.now(), amount=refund.amount, description="HOAN HT-9")
    assert [r.id for r in confirm_bank_refunds(world.deps, STAFF, [debit, debit])] == [refund.id]
    confirm_bank_refunds(world.deps, STAFF, [debit])
    again = _cancel(world, sub_id, payment_id, method=RefundMethod.BANK_TRANSFER, reference="HT-9")
    assert again.id == refund.id
    done = settle_refund(world.deps, STAFF, refund_id=refund.id, outcome=RefundOutcome.SUCCEEDED)
    issue_adjustments(world.deps, done)
    assert len(_adjustments(world, invoice.order_id)) == 1
    (adjusting,) = world.issuer.corrections
    assert adjusting.grand_total == -refund.amount


def test_y8_an_issuer_that_cannot_correct_is_warned_about_and_the_refund_still_succeeds(
    world: World, gateway: FakeRefundGateway, caplog: pytest.LogCaptureFixture
) -> None:
    class IssuesOnly:
        def __init__(self, inner: MemoryInvoiceIssuer) -> None:
            self.issue = inner.issue

    world.deps = attrs.evolve(world.deps, invoices=IssuesOnly(world.issuer))
    sub_id, payment_id, invoice, _request = _bought(world, gateway)
    world.clock.advance(dt.timedelta(days=100))
    with caplog.at_level(logging.WARNING):
        refund = _cancel(world, sub_id, payment_id)
    assert refund.state is RefundState.SUCCEEDED
    assert NO_CORRECTOR in caplog.text
    (asked,) = _adjustments(world, invoice.order_id)
    assert (asked.pending, asked.last_error) == (True, NO_CORRECTOR)


def test_y8_a_refund_of_unapplied_money_asks_for_no_adjustment(world: World) -> None:
    with world.deps.uow() as uow:
        made = Refund.request(
            id="rfd-u",
            kind=RefundKind.UNAPPLIED,
            amount=Money.of(1000, VND),
            refundable=Money.of(1000, VND),
            method=RefundMethod.BANK_TRANSFER,
            at=world.clock.now(),
            by=STAFF,
            reason="overpaid",
            order_id="ord-x",
            unapplied_id="unp-1",
            reference="HT-U",
        )
        done = made.succeed(at=world.clock.now())
        assert request_adjustments(uow, done, world.clock.now()) == []


def test_y8_refund_lines_split_exactly_and_a_refund_of_all_takes_every_amount_to_zero() -> None:
    kct, ten = VatRate.parse("KCT"), VatRate.parse("10%")
    totals = (
        VatTotal(kct, Money.of(6_000_000, VND), Money.zero(VND)),
        VatTotal(ten, Money.of(1_200_000, VND), Money.of(120_000, VND)),
    )
    lines = refund_lines(Money.of(1_000_001, VND), totals, refund_id="r")
    assert sum((line.total for line in lines), Money.zero(VND)) == Money.of(-1_000_001, VND)
    whole = refund_lines(Money.of(7_320_000, VND), totals, refund_id="r")
    assert [(line.taxable.amount, line.vat.amount) for line in whole] == [
        (Decimal(-6_000_000), 0),
        (Decimal(-1_200_000), Decimal(-120_000)),
    ]
    assert refund_lines(Money.of(9_000_000, VND), totals, refund_id="r") == whole  # capped at what remains
    with pytest.raises(ValidationError):
        refund_lines(Money.zero(VND), totals, refund_id="r")
