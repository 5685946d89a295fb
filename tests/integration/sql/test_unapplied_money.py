"""Money is never lost (Y6) and dated when received (Y7) on SQLite and PostgreSQL: issue 11's observations.

The use cases run on the SQL unit of work through the public API: a renewal paid after its subscription was
purged, a success for a cancelled order, backdated staff receipts, a statement line booked before its order,
staff applying held money, and a buyer cancelling while the provider's success is being applied (50 races
on PostgreSQL): every run ends with the money applied or unapplied, never neither.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine

from subscription_core.catalog_files import load_catalog
from subscription_core.customers import Actor
from subscription_core.errors import SubscriptionError, ValidationError
from subscription_core.orders import Order, OrderState
from subscription_core.payments import PaymentMethod, PaymentState
from subscription_core.services import (
    Checkout,
    NewPurchase,
    NotificationStatus,
    Renewal,
    Services,
    apply_unapplied_money,
    cancel_order,
    handle_notification,
    place_order,
    reconcile_statement,
    record_offline_payment,
    run_scheduler,
    start_payment,
    unapplied_money,
)
from subscription_core.statements import LineOutcome, StatementLine
from subscription_core.subscriptions import State
from subscription_core.transfers import transfer_reference
from subscription_core.unapplied import UnappliedReason, UnappliedState
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer
from subscription_core_adapters.local import ManualClock, SequentialIds
from subscription_core_adapters.sql import SqlUnitOfWorkFactory

from .builders import customer

CATALOG = load_catalog(Path(__file__).resolve().parents[3] / "examples" / "catalogs" / "amis_vn.toml")
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
BUYER = Actor.customer_user("u-1", "cus-1")
STAFF = Actor.staff("st-1")
WALLET = PaymentMethod.e_wallet("VNPAY")
PLAN = NewPurchase(customer_id="cus-1", plan="amis-professional", option="1y")


class Shop:
    """The services on one SQL database, a manual clock, a fake VNPay and an in-memory invoice issuer."""

    def __init__(self, engine: Engine) -> None:
        self.clock = ManualClock(T0)
        self.gateway = FakePaymentProvider("vnpay", b"a-32-byte-or-longer-signing-key!!")
        self.issuer = MemoryInvoiceIssuer()
        self.deps: Services = bootstrap_memory(
            CATALOG,
            clock=self.clock,
            ids=SequentialIds(),
            providers={"vnpay": self.gateway},
            invoices=self.issuer,
            uow=SqlUnitOfWorkFactory(engine),
        )
        with self.deps.uow() as uow:
            uow.customers.add(customer("cus-1", n=1))
            uow.commit()
        self._keys = 0

    def key(self) -> str:
        self._keys += 1
        return f"k-{self._keys}"

    def later(self, **delta: float) -> None:
        self.clock.set(self.clock.now() + dt.timedelta(**delta))

    def place(self, request: NewPurchase | Renewal = PLAN) -> Order:
        return place_order(self.deps, STAFF, request, Checkout(confirmed=True), idempotency_key=self.key(), reason="r")

    def start(self, order: Order) -> None:
        start_payment(self.deps, STAFF, order_id=order.id, method=WALLET, idempotency_key=self.key())

    def pay(self, order: Order, event: str) -> NotificationStatus:
        payload = self.gateway.notify(order, event_id=event)
        return handle_notification(self.deps, "vnpay", payload).status

    def order(self, order_id: str) -> Order:
        with self.deps.uow() as uow:
            return uow.orders.get(order_id)


@pytest.fixture
def shop(engine: Engine) -> Shop:
    return Shop(engine)


def test_y6_renewal_paid_after_the_purge_is_kept_unapplied(shop: Shop) -> None:
    bought = shop.place()
    shop.start(bought)
    assert shop.pay(bought, "evt-1") is NotificationStatus.APPLIED
    sub_id = bought.lines[0].ref
    shop.later(days=366)
    run_scheduler(shop.deps)
    renewal = shop.place(Renewal(subscription_id=sub_id, option="1y"))
    shop.start(renewal)
    shop.later(days=45)
    run_scheduler(shop.deps)
    with shop.deps.uow() as uow:
        assert uow.subscriptions.get(sub_id).state is State.PURGED
    assert shop.pay(renewal, "evt-2") is NotificationStatus.UNAPPLIED
    assert shop.pay(renewal, "evt-2") is NotificationStatus.ALREADY_PROCESSED
    (kept,) = unapplied_money(shop.deps, STAFF)
    assert kept.reason in {UnappliedReason.PURGED, UnappliedReason.LAPSED}
    assert (kept.order_id, kept.amount) == (renewal.id, renewal.grand_total)


def test_y6_i3_success_for_a_cancelled_order_is_kept_and_takes_no_invoice_number(shop: Shop) -> None:
    order = shop.place()
    shop.start(order)
    cancel_order(shop.deps, STAFF, order.id, reason="wrong plan", idempotency_key="c-1")
    assert shop.pay(order, "evt-1") is NotificationStatus.UNAPPLIED
    assert shop.issuer.issued == ()
    (kept,) = unapplied_money(shop.deps, STAFF)
    assert kept.reason is UnappliedReason.CANCELLED
    again = shop.place()
    done = apply_unapplied_money(
        shop.deps, STAFF, unapplied_id=kept.id, order_id=again.id, reason="asked", idempotency_key="a-1"
    )
    assert done.state is OrderState.FULFILLED
    assert [m.state for m in unapplied_money(shop.deps, STAFF, state=None)] == [UnappliedState.APPLIED]


@pytest.mark.parametrize("received", [dt.datetime(1, 1, 1, tzinfo=dt.UTC), T0 - dt.timedelta(days=365)])
def test_y7_a_staff_receipt_dated_before_the_order_is_refused(shop: Shop, received: dt.datetime) -> None:
    order = shop.place()
    with pytest.raises(ValidationError) as caught:
        record_offline_payment(
            shop.deps,
            STAFF,
            order_id=order.id,
            method=PaymentMethod.bank_transfer(),
            amount=order.grand_total,
            reason="seen on the statement",
            idempotency_key="off-1",
            received_at=received,
        )
    assert caught.value.rule == "Y7"
    assert shop.order(order.id).state is OrderState.PLACED


def test_y7_a_statement_line_booked_before_its_order_is_kept_unapplied(shop: Shop) -> None:
    order = shop.place()
    line = StatementLine.on_date(
        line_id="5213.1",
        day=dt.date(2026, 11, 20),
        amount=order.grand_total,
        description=f"IBFT {transfer_reference(order.id)}",
    )
    shop.later(days=1)
    (result,) = reconcile_statement(shop.deps, STAFF, [line], statement_id="VCB-old").results
    assert result.outcome is LineOutcome.BEFORE_ORDER
    (kept,) = unapplied_money(shop.deps, STAFF)
    assert (kept.id, kept.reason, kept.source) == (
        result.unapplied_id,
        UnappliedReason.RECEIVED_BEFORE_ORDER,
        "statement",
    )
    assert shop.order(order.id).state is OrderState.PLACED
    (again,) = reconcile_statement(shop.deps, STAFF, [line], statement_id="VCB-again").results
    assert again.outcome is LineOutcome.ALREADY_RECORDED


RACES = 50


def test_y6_cancel_racing_the_success_ends_with_the_money_applied_or_unapplied(shop: Shop, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the race needs concurrent writers: PostgreSQL (SQLite serialises its writers)")
    outcomes: list[tuple[OrderState, int, int]] = []
    for n in range(RACES):
        order = shop.place()
        shop.start(order)
        barrier = threading.Barrier(2, timeout=60)
        payload = shop.gateway.notify(order, event_id=f"evt-{n}")

        def pay(payload: dict[str, str] = payload, barrier: threading.Barrier = barrier) -> object:
            barrier.wait()
            return handle_notification(shop.deps, "vnpay", payload)

        def cancel(order: Order = order, n: int = n, barrier: threading.Barrier = barrier) -> object:
            barrier.wait()
            try:
                return cancel_order(shop.deps, STAFF, order.id, reason="changed mind", idempotency_key=f"c-{n}")
            except SubscriptionError as refused:  # the order was paid first
                return refused

        with ThreadPoolExecutor(max_workers=2) as pool:
            paying, cancelling = pool.submit(pay), pool.submit(cancel)
            paid, _cancelled = paying.result(), cancelling.result()
        assert not isinstance(paid, Exception)
        final = shop.order(order.id)
        with shop.deps.uow() as uow:
            applied = [p for p in uow.payments.of_order(order.id) if p.state is PaymentState.SUCCEEDED]
            kept = uow.unapplied.by_reference("vnpay", f"evt-{n}")
        assert (len(applied) == 1) != (kept is not None), (final.state, applied, kept)
        if kept is not None:
            assert final.state is OrderState.CANCELLED
            assert kept.amount == order.grand_total
        else:
            assert final.state is OrderState.FULFILLED
        outcomes.append((final.state, len(applied), int(kept is not None)))
    assert {state for state, _, _ in outcomes} <= {OrderState.CANCELLED, OrderState.FULFILLED}
    # I3: a number was taken for each fulfilled order and for no cancelled one.
    fulfilled = sum(1 for state, _, _ in outcomes if state is OrderState.FULFILLED)
    numbers = {(invoice.series, invoice.number) for invoice in shop.issuer.issued}
    assert len(numbers) == len(shop.issuer.issued) == fulfilled
