"""A state machine over one customer's orders and subscription, interleaving everything that moves money (Y6, Y7).

Provider successes and failures (new, repeated, out of order, for orders no longer awaiting payment),
cancels, lapses and purges (clock jumps with the scheduler), staff receipts (some backdated), bank statement
imports (re-imported too), catalog edits between placing and paying, early renewals, and staff applying or
refunding held money. After every step:

* money received = money applied + money unapplied, to the đồng (Y6);
* no paid day is lost: the paid days of the subscription never shrink (S2, S10), whatever the catalog
  became after an order was placed (O6);
* no invoice names an order that was not fulfilled (I3);
* a step that is refused leaves every table as it was.
"""

from __future__ import annotations

import datetime as dt

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from subscription_core.catalog import Catalog, Cycle, CycleUnit, PricingOption
from subscription_core.errors import SubscriptionError
from subscription_core.money import Money
from subscription_core.orders import Order, OrderState
from subscription_core.payments import PaymentState
from subscription_core.services import (
    Checkout,
    NewPurchase,
    NotificationStatus,
    Renewal,
    apply_unapplied_money,
    cancel_order,
    handle_notification,
    place_order,
    reconcile_statement,
    record_offline_payment,
    refund_unapplied_money,
    run_scheduler,
    start_payment,
    unapplied_money,
)
from subscription_core.statements import LineOutcome, StatementLine
from subscription_core.transfers import transfer_reference
from subscription_core.unapplied import UnappliedState

from .harness import BUYER, CATALOG, STAFF, TRANSFER, VND, WALLET, World

FULFILLED = OrderState.FULFILLED


def _repriced(catalog: Catalog, price: int, *, monthly: bool) -> Catalog:
    """The catalog with Standard's "1y" option repriced, and made one month long if ``monthly`` (C5, O6)."""
    product = catalog.products[0]
    std = product.plans[0]
    option = attrs.evolve(std.options[0], price=Money.of(price, VND))
    if monthly:
        option = PricingOption(code=option.code, cycle=Cycle(CycleUnit.MONTH), price=option.price)
    plans = (attrs.evolve(std, options=(option, *std.options[1:])), *product.plans[1:])
    return Catalog(currency=catalog.currency, products=[attrs.evolve(product, plans=plans)])


class MoneyMachine(RuleBasedStateMachine):
    """One customer's money, orders and subscription, driven by the public use cases."""

    def __init__(self) -> None:
        super().__init__()
        self.world = World.make()
        self.received = Money.zero(VND)  # every đồng a provider confirmed, staff recorded or a statement showed
        self.events: list[tuple[str, dict[str, str]]] = []  # (kind, payload) delivered once
        self.lines: list[StatementLine] = []
        self.paid_days = 0
        self.statement = 0

    # --- helpers -----------------------------------------------------------------------------------------

    def _orders(self) -> list[Order]:
        with self.world.store.lock:
            return sorted(self.world.store.orders.rows.values(), key=lambda o: o.id)

    def _pick(self, data: st.DataObject) -> Order | None:
        orders = self._orders()
        return data.draw(st.sampled_from(orders)) if orders else None

    def _refused_changes_nothing(self, action: object) -> object:
        before = self.world.snapshot()
        try:
            return action() if callable(action) else None
        except SubscriptionError:
            assert self.world.snapshot() == before, "a refused step changed the store"
            return None

    # --- rules ---------------------------------------------------------------------------------------------

    @rule(plan=st.sampled_from(["std", "pro"]))
    def place_new_purchase(self, plan: str) -> None:
        request = NewPurchase(customer_id="cus-1", plan=plan, option="1y")
        self._refused_changes_nothing(
            lambda: place_order(
                self.world.deps, BUYER, request, Checkout(confirmed=True), idempotency_key=self.world.key()
            )
        )

    @rule(plan=st.sampled_from(["std", "pro", "ent"]))
    def place_renewal(self, plan: str) -> None:
        subs = self.world.subscriptions_of("cus-1")
        if not subs:
            return
        request = Renewal(subscription_id=subs[0].id, option="1y", plan=plan)
        self._refused_changes_nothing(
            lambda: place_order(
                self.world.deps, BUYER, request, Checkout(confirmed=True), idempotency_key=self.world.key()
            )
        )

    @rule(data=st.data(), succeeded=st.booleans(), start=st.booleans())
    def provider_calls_back(self, data: st.DataObject, succeeded: bool, start: bool) -> None:
        order = self._pick(data)
        if order is None:
            return
        if start:
            self._refused_changes_nothing(
                lambda: start_payment(
                    self.world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key=self.world.key()
                )
            )
        payload = self.world.notification(order, succeeded=succeeded)
        result = self._refused_changes_nothing(lambda: handle_notification(self.world.deps, "vnptpay", payload))
        if result is None:
            assert not succeeded, "a signed success was refused: its money would be lost"
            return
        self.events.append(("success" if succeeded else "failure", payload))
        if succeeded:
            self.received += order.grand_total

    @precondition(lambda self: bool(self.events))
    @rule(data=st.data())
    def provider_repeats(self, data: st.DataObject) -> None:
        _kind, payload = data.draw(st.sampled_from(self.events))
        before = self.world.snapshot()
        assert handle_notification(self.world.deps, "vnptpay", payload).status is NotificationStatus.ALREADY_PROCESSED
        assert self.world.snapshot() == before

    @rule(data=st.data(), days_back=st.sampled_from([0, 0, 1, 400, 739_000]))
    def staff_record_a_receipt(self, data: st.DataObject, days_back: int) -> None:
        order = self._pick(data)
        if order is None:
            return
        when = self.world.clock.now() - dt.timedelta(days=days_back)
        done = self._refused_changes_nothing(
            lambda: record_offline_payment(
                self.world.deps,
                STAFF,
                order_id=order.id,
                method=TRANSFER,
                amount=order.grand_total,
                reason="seen in the bank app",
                idempotency_key=self.world.key(),
                received_at=when,
            )
        )
        if done is not None:  # staff recorded money the bank holds; a refused receipt was not entered
            self.received += order.grand_total

    @rule(data=st.data(), extra=st.sampled_from([0, 0, 1, -1]), again=st.booleans())
    def import_a_statement(self, data: st.DataObject, extra: int, again: bool) -> None:
        if again and self.lines:
            line = data.draw(st.sampled_from(self.lines))
        else:
            order = self._pick(data)
            if order is None:
                return
            self.statement += 1
            line = StatementLine.on_date(
                line_id=f"FT{self.statement}",
                day=(self.world.clock.now() + dt.timedelta(hours=7)).date(),
                amount=order.grand_total + Money.of(extra, VND),
                description=f"IBFT {transfer_reference(order.id)}",
            )
        (result,) = reconcile_statement(self.world.deps, STAFF, [line], statement_id=f"s-{self.statement}").results
        first = line not in self.lines
        if first:
            self.lines.append(line)
        counted = result.outcome is LineOutcome.RECORDED or result.unapplied_id is not None
        if first and counted:
            self.received += line.amount
        if first and not counted:
            # Reported only: a line for an order paid by hand by a transfer of its amount, or a broken line.
            assert result.outcome in {LineOutcome.NOT_AWAITING, LineOutcome.REFUSED}, result

    @rule(data=st.data())
    def buyer_cancels(self, data: st.DataObject) -> None:
        order = self._pick(data)
        if order is None:
            return
        self._refused_changes_nothing(
            lambda: cancel_order(self.world.deps, BUYER, order.id, reason="changed", idempotency_key=self.world.key())
        )

    @rule(price=st.sampled_from([1_000, 6_000_000, 9_000_000]), monthly=st.booleans())
    def catalog_is_edited(self, price: int, monthly: bool) -> None:
        self.world.deps = attrs.evolve(self.world.deps, catalog=_repriced(CATALOG, price, monthly=monthly))

    @rule(days=st.sampled_from([0, 1, 3, 8, 31, 200, 366]), hours=st.integers(0, 23))
    def time_passes(self, days: int, hours: int) -> None:
        self.world.clock.advance(dt.timedelta(days=days, hours=hours))
        run_scheduler(self.world.deps)

    @rule(data=st.data(), refund=st.booleans())
    def staff_handle_held_money(self, data: st.DataObject, refund: bool) -> None:
        held = unapplied_money(self.world.deps, STAFF)
        if not held:
            return
        money = data.draw(st.sampled_from(held))
        if refund:
            self._refused_changes_nothing(
                lambda: refund_unapplied_money(
                    self.world.deps,
                    STAFF,
                    unapplied_id=money.id,
                    reference="RF",
                    reason="r",
                    idempotency_key=self.world.key(),
                )
            )
            return
        order = self._pick(data)
        if order is not None:
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

    # --- invariants ----------------------------------------------------------------------------------------

    @invariant()
    def y6_money_received_is_applied_or_unapplied_to_the_dong(self) -> None:
        with self.world.store.lock:
            payments = list(self.world.store.payments.rows.values())
            held = list(self.world.store.unapplied.rows.values())
        applied = sum(
            (p.amount for p in payments if p.state is PaymentState.SUCCEEDED and p.unapplied_id is None),
            Money.zero(VND),
        )
        kept = sum((m.amount.amount for m in held), Money.zero(VND).amount)
        reapplied = sum(
            (m.amount for m in held if m.state is UnappliedState.APPLIED), Money.zero(VND)
        )  # counted once: as unapplied money, and again as the payment naming it
        named = sum((p.amount for p in payments if p.unapplied_id is not None), Money.zero(VND))
        assert named == reapplied
        assert self.received.amount == applied.amount + kept

    @invariant()
    def s2_no_paid_day_is_lost(self) -> None:
        days = sum((t.end - t.start).days for s in self.world.subscriptions_of("cus-1") for t in s.terms)
        assert days >= self.paid_days
        self.paid_days = days

    @invariant()
    def i3_no_invoice_names_an_order_that_was_not_fulfilled(self) -> None:
        fulfilled = {o.id for o in self._orders() if o.state is FULFILLED}
        assert {invoice.order_id for invoice in self.world.issuer.issued} <= fulfilled


def test_y6_y7_s2_i3_money_and_paid_time_survive_any_interleaving() -> None:
    run_state_machine_as_test(MoneyMachine)
