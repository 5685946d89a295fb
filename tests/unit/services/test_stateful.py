"""A state machine over the service layer: random orders, payments (duplicated and reordered notifications),
offline money, cancellations and clock jumps, with the invariants that must hold after every step.

* a payment is applied at most once: an order has at most one succeeded payment, and it is paid exactly
  when it has one (Y5);
* money received always ends in an activation or an extension: every paid order is fulfilled, each of its
  subscriptions (every client of a bulk renewal) records the order in its history, and no payment awaits
  activation past its deadline once the scheduler ran (Y2, Y3, B5);
* redemptions never exceed their limits (P9);
* the outbox holds exactly one message per event and channel: one per subscription change, one per order
  event, one per invoice (N1, N2).
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from subscription_core.bulk import BulkRenewal, BulkRow
from subscription_core.customers import Actor
from subscription_core.errors import SubscriptionError
from subscription_core.notices import Channel
from subscription_core.orders import Order, OrderKind, OrderState
from subscription_core.payments import PaymentState
from subscription_core.services import (
    Checkout,
    NewPurchase,
    NotificationStatus,
    Renewal,
    cancel_order,
    handle_notification,
    place_bulk_renewal,
    place_order,
    record_offline_payment,
    run_scheduler,
    start_payment,
)

from .harness import ACCOUNTANT, STAFF, TRANSFER, WALLET, World, promotion, tax_code

BUYERS = {n: Actor.customer_user(f"u-{n}", f"cus-{n}") for n in (1, 2, 3)}
LIMIT = 2
PAID = (OrderState.PAID, OrderState.FULFILLED)


class ServicesMachine(RuleBasedStateMachine):
    """Drives the services on one in-memory world and checks the invariants after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.world = World.make()
        self.world.add(promotion("LIM2", limit=LIMIT))
        self.delivered: list[dict[str, str]] = []  # notifications the services accepted
        self.last_run: dt.datetime | None = None

    def _orders(self) -> list[Order]:
        with self.world.store.lock:
            return sorted(self.world.store.orders.rows.values(), key=lambda o: o.id)

    def _pick(self, data: st.DataObject) -> Order | None:
        """An order, mostly one awaiting payment (so that payments happen), sometimes any (late callbacks)."""
        orders = self._orders()
        placed = [o for o in orders if o.awaiting_payment]
        prefer_placed = data.draw(st.integers(0, 3)) > 0
        pool = placed if placed and prefer_placed else orders
        return data.draw(st.sampled_from(pool)) if pool else None

    def _buyer(self, order: Order) -> Actor:
        if order.customer_id is None:
            return ACCOUNTANT  # a bulk renewal is the accountant's to pay or cancel (A3)
        return BUYERS[int(order.customer_id.split("-")[1])]

    @rule(n=st.sampled_from(sorted(BUYERS)), plan=st.sampled_from(["std", "pro"]), promo=st.booleans())
    def place_new_purchase(self, n: int, plan: str, promo: bool) -> None:
        request = NewPurchase(customer_id=f"cus-{n}", plan=plan, option="1y", codes=("LIM2",) if promo else ())
        refusal = None
        try:
            place_order(self.world.deps, BUYERS[n], request, Checkout(confirmed=True), idempotency_key=self.world.key())
        except SubscriptionError as error:
            refusal = error.rule
        assert refusal in (None, "P9")  # only the redemption limit refuses a new purchase here

    @rule(data=st.data())
    def place_renewal(self, data: st.DataObject) -> None:
        with self.world.store.lock:
            subs = sorted(self.world.store.subscriptions.rows.values(), key=lambda s: s.id)
        if not subs:
            return
        sub = data.draw(st.sampled_from(subs))
        buyer = BUYERS[int(sub.customer_id.split("-")[1])]
        request = Renewal(subscription_id=sub.id, option="1y")
        # A purged, cut-off or pending subscription is not renewed: refused with a reason.
        with contextlib.suppress(SubscriptionError):
            place_order(self.world.deps, buyer, request, Checkout(confirmed=True), idempotency_key=self.world.key())

    @rule(data=st.data())
    def place_bulk_renewal(self, data: st.DataObject) -> None:
        rows = []
        for n in (1, 2):
            held = sorted(s.id for s in self.world.subscriptions_of(f"cus-{n}"))
            if held:
                rows.append(BulkRow(client=tax_code(n), option="1y", subscription_id=data.draw(st.sampled_from(held))))
        if not rows:
            return
        # A row whose subscription can no longer be renewed is reported (B4) and nothing is placed.
        with contextlib.suppress(SubscriptionError):
            place_bulk_renewal(
                self.world.deps,
                ACCOUNTANT,
                BulkRenewal(product="amis", rows=rows),
                confirmed=True,
                idempotency_key=self.world.key(),
            )

    @rule(data=st.data(), succeeded=st.booleans())
    def notify(self, data: st.DataObject, succeeded: bool) -> None:
        order = self._pick(data)
        if order is None:
            return
        # An order no longer awaiting payment starts none, but the provider may still call back.
        with contextlib.suppress(SubscriptionError):
            start_payment(
                self.world.deps, self._buyer(order), order_id=order.id, method=WALLET, idempotency_key=self.world.key()
            )
        payload = self.world.notification(order, succeeded=succeeded)
        try:
            handle_notification(self.world.deps, "vnptpay", payload)
        except SubscriptionError:
            return
        self.delivered.append(payload)

    @precondition(lambda self: bool(self.delivered))
    @rule(data=st.data())
    def deliver_again(self, data: st.DataObject) -> None:
        payload = data.draw(st.sampled_from(self.delivered))
        before = self.world.snapshot()
        result = handle_notification(self.world.deps, "vnptpay", payload)
        assert result.status is NotificationStatus.ALREADY_PROCESSED
        assert self.world.snapshot() == before

    @rule(data=st.data())
    def record_offline(self, data: st.DataObject) -> None:
        order = self._pick(data)
        if order is None:
            return
        with contextlib.suppress(SubscriptionError):
            record_offline_payment(
                self.world.deps,
                STAFF,
                order_id=order.id,
                method=TRANSFER,
                amount=order.grand_total,
                reason="seen on the statement",
                idempotency_key=self.world.key(),
            )

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order = self._pick(data)
        if order is None:
            return
        with contextlib.suppress(SubscriptionError):
            cancel_order(
                self.world.deps, self._buyer(order), order.id, reason="changed", idempotency_key=self.world.key()
            )

    @rule(days=st.integers(0, 3) | st.integers(0, 40) | st.integers(300, 420), hours=st.integers(0, 23))
    def jump(self, days: int, hours: int) -> None:
        self.world.clock.advance(dt.timedelta(days=days, hours=hours))
        self.last_run = run_scheduler(self.world.deps).at

    @invariant()
    def y5_a_payment_is_applied_at_most_once(self) -> None:
        with self.world.store.lock:
            payments = list(self.world.store.payments.rows.values())
            orders = list(self.world.store.orders.rows.values())
        succeeded = collections.Counter(p.order_id for p in payments if p.state is PaymentState.SUCCEEDED)
        assert all(count <= 1 for count in succeeded.values())
        for order in orders:
            assert (order.state in PAID) == (succeeded[order.id] == 1)

    @invariant()
    def y2_y3_money_received_ends_in_an_activation_or_extension(self) -> None:
        with self.world.store.lock:
            orders = list(self.world.store.orders.rows.values())
            subs = dict(self.world.store.subscriptions.rows)
        for order in orders:
            assert order.state is not OrderState.PAID  # paid orders are fulfilled in the same unit of work
            if order.state is OrderState.FULFILLED:
                targets = {line.subscription_id or line.ref for line in order.lines}
                for target in targets:
                    assert any(f"order {order.id}," in e.reason for e in subs[target].history)
        if self.last_run is not None:
            for sub in subs.values():
                assert sub.pending is None or sub.pending.activate_by > self.last_run

    @invariant()
    def p9_redemptions_never_exceed_their_limits(self) -> None:
        with self.world.store.lock:
            redemptions = list(self.world.store.redemptions.rows.values())
        assert sum(1 for r in redemptions if r.counts) <= LIMIT

    @invariant()
    def n2_the_outbox_holds_one_message_per_event(self) -> None:
        messages = self.world.outbox()
        with self.world.store.lock:
            subs = list(self.world.store.subscriptions.rows.values())
            orders = list(self.world.store.orders.rows.values())
            invoices = list(self.world.store.invoices.rows)
        by_subject = collections.Counter((m.subject_id, m.channel) for m in messages)
        for sub in subs:
            for channel in Channel:
                assert by_subject[(sub.id, channel)] == sub.version  # one notice per change (S9, N1)
        kinds = collections.Counter(
            (m.subject_id, m.kind, m.channel) for m in messages if m.subject_id.startswith("ord")
        )
        for order in orders:
            for channel in Channel:
                assert kinds[(order.id, "order_placed", channel)] >= 1
                assert kinds[(order.id, "order_paid", channel)] == (order.state in PAID)
                bulk_paid = order.kind is OrderKind.BULK_RENEWAL and order.state in PAID
                assert kinds[(order.id, "bulk_renewed", channel)] == bulk_paid
                assert kinds[(order.id, "order_cancelled", channel)] == (order.state is OrderState.CANCELLED)
                assert kinds[(order.id, "order_lapsed", channel)] == (order.state is OrderState.LAPSED)
                issued = sum(1 for order_id, _ in invoices if order_id == order.id)
                assert kinds[(order.id, "invoice_issued", channel)] == issued


def test_y5_y2_y3_b5_p9_n2_random_service_histories_keep_the_invariants() -> None:
    run_state_machine_as_test(ServicesMachine)
