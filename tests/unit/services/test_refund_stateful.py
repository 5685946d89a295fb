"""A state machine over one customer's payments and refunds (Y8), mirroring ``test_money_stateful.py``.

Provider successes (applied, or unapplied for a cancelled or already paid order), refunds of unapplied money
through the provider (succeeded, refused, or unanswered and asked again later), bank refunds (confirmed by a
statement debit or come back), staff applying held money, subscriptions cancelled with a refund of their
unused days (through the provider or by bank transfer), invoices replaced, and time passing. After every step:

* money received - money refunded = money applied + money unapplied, to the đồng (Y6, Y8);
* no unapplied record and no payment is refunded beyond its amount (Y8);
* a step that is refused leaves every table as it was;
* each invoiced order's invoice, through its replacements and with its adjusting invoices, comes to the
  money kept of it: its payments less their succeeded refunds (Y8).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from subscription_core.errors import SubscriptionError
from subscription_core.invoice_corrections import CorrectionKind, InvoiceReplacement, IssuedCorrection
from subscription_core.invoices import IssuedInvoice
from subscription_core.money import Money
from subscription_core.orders import Order
from subscription_core.payments import PaymentState
from subscription_core.ports import RefundOutcome
from subscription_core.refunds import Refund, RefundDebit, RefundMethod, RefundState
from subscription_core.services import (
    Checkout,
    NewPurchase,
    UnusedTermRefund,
    apply_unapplied_money,
    cancel_order,
    cancel_subscription,
    confirm_bank_refunds,
    handle_notification,
    place_order,
    record_bank_refund,
    refund_unapplied,
    settle_refund,
    start_payment,
    unapplied_money,
)
from subscription_core.unapplied import UnappliedState
from subscription_core_adapters.fakes import FakeRefundGateway

from .harness import BUYER, STAFF, VND, WALLET, World

OUTCOMES = st.sampled_from([RefundOutcome.SUCCEEDED, RefundOutcome.FAILED, RefundOutcome.UNKNOWN])


class RefundMachine(RuleBasedStateMachine):
    """One customer's payments and refunds, driven by the public use cases."""

    def __init__(self) -> None:
        super().__init__()
        self.world = World.make()
        self.gateway = FakeRefundGateway("vnptpay")
        self.world.deps = attrs.evolve(self.world.deps, refund_gateways={"vnptpay": self.gateway})
        self.received = Money.zero(VND)
        self.debits = 0

    # --- helpers -----------------------------------------------------------------------------------------

    def _refused_changes_nothing(self, action: object) -> object:
        before = self.world.snapshot()
        try:
            return action() if callable(action) else None
        except SubscriptionError:
            assert self.world.snapshot() == before, "a refused step changed the store"
            return None

    def _place(self) -> Order:
        request = NewPurchase(customer_id="cus-1", plan="std", option="1y")
        return place_order(self.world.deps, BUYER, request, Checkout(confirmed=True), idempotency_key=self.world.key())

    def _pay(self, order: Order) -> None:
        event = self.world.event()
        handle_notification(self.world.deps, "vnptpay", self.world.notification(order, event=event))
        self.gateway.knows(event, order.grand_total.amount)
        self.received += order.grand_total

    def _refunds(self) -> list[Refund]:
        with self.world.store.lock:
            return sorted(self.world.store.refunds.rows.values(), key=lambda r: r.id)

    def _amount(self, data: st.DataObject, most: Money) -> Money | None:
        whole = data.draw(st.booleans())
        return None if whole else Money.of(data.draw(st.integers(1, int(most.amount) + 1)), VND)

    # --- rules ---------------------------------------------------------------------------------------------

    @rule(cancel_first=st.booleans(), twice=st.booleans())
    def customer_pays(self, cancel_first: bool, twice: bool) -> None:
        order = self._place()
        start_payment(self.world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key=self.world.key())
        if cancel_first:  # the money comes for a cancelled order: unapplied (Y6)
            cancel_order(self.world.deps, BUYER, order.id, reason="changed", idempotency_key=self.world.key())
        self._pay(order)
        if twice:  # a second success for the same order: unapplied, already paid (Y6)
            self._pay(order)

    @rule(data=st.data(), outcome=OUTCOMES)
    def staff_refund_through_the_provider(self, data: st.DataObject, outcome: RefundOutcome) -> None:
        held = unapplied_money(self.world.deps, STAFF)
        if not held:
            return
        money = data.draw(st.sampled_from(held))
        amount = self._amount(data, money.remaining)
        self.gateway.answer_next(outcome)
        self._refused_changes_nothing(
            lambda: refund_unapplied(
                self.world.deps,
                STAFF,
                unapplied_id=money.id,
                amount=amount,
                reason="customer asked",
                idempotency_key=self.world.key(),
            )
        )

    @rule(data=st.data())
    def staff_record_a_bank_refund(self, data: st.DataObject) -> None:
        held = unapplied_money(self.world.deps, STAFF)
        if not held:
            return
        money = data.draw(st.sampled_from(held))
        amount = self._amount(data, money.remaining)
        self.debits += 1
        self._refused_changes_nothing(
            lambda: record_bank_refund(
                self.world.deps,
                STAFF,
                unapplied_id=money.id,
                reference=f"HT-{self.debits}",
                amount=amount,
                reason="by transfer",
                idempotency_key=self.world.key(),
            )
        )

    @rule(data=st.data(), came_back=st.booleans())
    def a_requested_refund_is_settled(self, data: st.DataObject, came_back: bool) -> None:
        waiting = [r for r in self._refunds() if r.state is RefundState.REQUESTED]
        if not waiting:
            return
        refund = data.draw(st.sampled_from(waiting))
        if refund.method is RefundMethod.PROVIDER:
            settle_refund(self.world.deps, STAFF, refund_id=refund.id)
        elif came_back:
            settle_refund(
                self.world.deps, STAFF, refund_id=refund.id, outcome=RefundOutcome.FAILED, failure="came back"
            )
        else:
            debit = RefundDebit(
                line_id=f"D{refund.id}",
                booked_at=self.world.clock.now(),
                amount=refund.amount,
                description=f"HOAN TIEN {refund.reference}",
            )
            assert [r.id for r in confirm_bank_refunds(self.world.deps, STAFF, [debit])] == [refund.id]

    @rule(data=st.data())
    def staff_apply_held_money(self, data: st.DataObject) -> None:
        held = unapplied_money(self.world.deps, STAFF)
        if not held:
            return
        money = data.draw(st.sampled_from(held))
        order = self._place()
        self._refused_changes_nothing(
            lambda: apply_unapplied_money(
                self.world.deps,
                STAFF,
                unapplied_id=money.id,
                order_id=order.id,
                reason="asked",
                idempotency_key=self.world.key(),
            )
        )

    @rule(data=st.data(), refund=st.booleans(), by_bank=st.booleans())
    def staff_cancel_a_subscription(self, data: st.DataObject, refund: bool, by_bank: bool) -> None:
        subs = [s for s in self.world.subscriptions_of("cus-1") if s.state.value != "cancelled"]
        if not subs:
            return
        sub = data.draw(st.sampled_from(subs))
        with self.world.deps.uow() as uow:
            paid = [
                p
                for o in uow.orders.of_customer("cus-1")
                for p in uow.payments.of_order(o.id)
                if p.state is PaymentState.SUCCEEDED
                and any(sub.id in (line.ref, line.subscription_id) for line in o.lines)
            ]
        ask = None
        if refund and paid:
            self.debits += 1
            method = RefundMethod.BANK_TRANSFER if by_bank else RefundMethod.PROVIDER
            reference = f"HT-{self.debits}" if by_bank else None
            ask = UnusedTermRefund(payment_id=paid[0].id, method=method, reference=reference)
        self._refused_changes_nothing(
            lambda: cancel_subscription(
                self.world.deps,
                STAFF,
                subscription_id=sub.id,
                reason="closing",
                idempotency_key=self.world.key(),
                refund=ask,
            )
        )

    @rule(data=st.data())
    def staff_replace_an_invoice(self, data: st.DataObject) -> None:
        """An invoice (or its replacement) never adjusted is replaced with the same sale (a buyer's name fixed)."""
        with self.world.deps.uow() as uow:
            asked = {r.key: r.request for o in uow.orders.of_customer("cus-1") for r in uow.invoices.requested_of(o.id)}
        latest = [self._latest(invoice) for invoice in self.world.issuer.issued]
        fresh = [i for i in latest if not self.world.issuer.corrections_of(i)]
        if not fresh:
            return
        invoice = data.draw(st.sampled_from(fresh))
        self.debits += 1
        replacement = InvoiceReplacement(
            key=f"rep-{self.debits}", original=invoice, request=asked[invoice.order_id, invoice.part], reason="Sai tên"
        )
        self.world.issuer.replace(replacement)

    def _latest(self, invoice: IssuedInvoice | IssuedCorrection) -> IssuedInvoice | IssuedCorrection:
        for correction in self.world.issuer.corrections_of(invoice):
            if correction.kind is CorrectionKind.REPLACEMENT:
                return self._latest(correction)
        return invoice

    @rule(days=st.sampled_from([0, 1, 30, 200]))
    def time_passes(self, days: int) -> None:
        self.world.clock.advance(dt.timedelta(days=days))

    # --- invariants ----------------------------------------------------------------------------------------

    @invariant()
    def y8_received_less_refunded_is_applied_plus_unapplied(self) -> None:
        with self.world.store.lock:
            payments = list(self.world.store.payments.rows.values())
            held = list(self.world.store.unapplied.rows.values())
        refunds = self._refunds()
        succeeded = [r for r in refunds if r.state is RefundState.SUCCEEDED]
        refunded = sum((r.amount.amount for r in succeeded), Decimal(0))
        of_payments = sum((r.amount.amount for r in succeeded if r.payment_id is not None), Decimal(0))
        applied = sum((p.amount.amount for p in payments if p.state is PaymentState.SUCCEEDED), Decimal(0))
        unapplied = sum((m.amount - m.refunded).amount for m in held if m.state is not UnappliedState.APPLIED)
        assert self.received.amount - refunded == (applied - of_payments) + unapplied

    @invariant()
    def y8_nothing_is_refunded_beyond_its_amount(self) -> None:
        with self.world.store.lock:
            payments = {p.id: p for p in self.world.store.payments.rows.values()}
            held = {m.id: m for m in self.world.store.unapplied.rows.values()}
        outstanding = [r for r in self._refunds() if r.outstanding]
        for money in held.values():
            mine = sum((r.amount.amount for r in outstanding if r.unapplied_id == money.id), Decimal(0))
            assert mine == (money.refunding + money.refunded).amount <= money.amount.amount
        for payment in payments.values():
            mine = sum((r.amount.amount for r in outstanding if r.payment_id == payment.id), Decimal(0))
            assert mine <= payment.amount.amount

    @invariant()
    def y8_the_invoices_net_total_is_the_money_kept(self) -> None:
        """Each invoiced order's invoice, with its replacements and adjustments, comes to what was kept of it."""
        with self.world.store.lock:
            payments = [p for p in self.world.store.payments.rows.values() if p.state is PaymentState.SUCCEEDED]
            pending = [a for a in self.world.store.invoice_adjustments.rows.values() if a.pending]
        assert pending == [], "the issuer is up: every decrease is issued after its refund commits"
        refunded = {
            r.payment_id: r.amount.amount
            for r in self._refunds()
            if r.state is RefundState.SUCCEEDED and r.payment_id is not None
        }
        for invoice in self.world.issuer.issued:
            kept = sum(
                (p.amount.amount - refunded.get(p.id, Decimal(0)) for p in payments if p.order_id == invoice.order_id),
                Decimal(0),
            )
            latest = self._latest(invoice)
            adjusted = sum((c.grand_total.amount for c in self.world.issuer.corrections_of(latest)), Decimal(0))
            assert latest.grand_total.amount + adjusted == kept


def test_y8_received_less_refunded_is_applied_plus_unapplied_in_any_sequence() -> None:
    run_state_machine_as_test(RefundMachine)
