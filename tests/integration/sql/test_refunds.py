"""Refunds (Y8) on SQLite and PostgreSQL: the flows through the SQL unit of work, and races on PostgreSQL.

Twenty staff requests racing with one idempotency key make one refund, asked of the provider once; twenty
racing with twenty keys never refund more than was received.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs
import pytest
from sqlalchemy import Engine

from subscription_core.catalog_files import load_catalog
from subscription_core.customers import Actor
from subscription_core.errors import SubscriptionError
from subscription_core.money import Money
from subscription_core.payments import PaymentMethod
from subscription_core.refunds import Refund, RefundDebit, RefundState
from subscription_core.services import (
    Checkout,
    NewPurchase,
    Services,
    cancel_order,
    confirm_bank_refunds,
    handle_notification,
    place_order,
    record_bank_refund,
    refund_unapplied,
    refunds_of,
    start_payment,
    unapplied_money,
)
from subscription_core.unapplied import UnappliedMoney, UnappliedState
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider, FakeRefundGateway, MemoryInvoiceIssuer
from subscription_core_adapters.local import ManualClock, SequentialIds
from subscription_core_adapters.sql import SqlUnitOfWorkFactory

from .builders import customer

CATALOG = load_catalog(Path(__file__).resolve().parents[3] / "examples" / "catalogs" / "amis_vn.toml")
STAFF = Actor.staff("st-1")
WALLET = PaymentMethod.e_wallet("VNPAY")
PLAN = NewPurchase(customer_id="cus-1", plan="amis-professional", option="1y")
THREADS = 20
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def held(engine: Engine) -> tuple[Services, FakeRefundGateway, UnappliedMoney]:
    """Services on the database, and money a wallet took for an order cancelled before it came (Y6)."""
    import datetime as dt  # noqa: PLC0415

    from subscription_core.calendar import start_of_local_day  # noqa: PLC0415 - the clock's start only

    clock = ManualClock(start_of_local_day(dt.date(2026, 11, 23)) + dt.timedelta(hours=9))
    wallet = FakePaymentProvider("vnpay", b"a-32-byte-or-longer-signing-key!!")
    refunds = FakeRefundGateway("vnpay")
    deps = bootstrap_memory(
        CATALOG,
        clock=clock,
        ids=SequentialIds(),
        providers={"vnpay": wallet},
        invoices=MemoryInvoiceIssuer(),
        uow=SqlUnitOfWorkFactory(engine),
    )
    deps = attrs.evolve(deps, refund_gateways={"vnpay": refunds})
    with deps.uow() as uow:
        uow.customers.add(customer("cus-1", n=1))
        uow.commit()
    order = place_order(deps, STAFF, PLAN, Checkout(confirmed=True), idempotency_key="o-1", reason="by phone")
    start_payment(deps, STAFF, order_id=order.id, method=WALLET, idempotency_key="p-1")
    cancel_order(deps, STAFF, order.id, reason="wrong plan", idempotency_key="c-1")
    handle_notification(deps, "vnpay", wallet.notify(order, event_id="evt-1"))
    (money,) = unapplied_money(deps, STAFF)
    refunds.knows(money.reference, money.amount.amount)
    return deps, refunds, money


def _money(deps: Services, unapplied_id: str) -> UnappliedMoney:
    with deps.uow() as uow:
        return uow.unapplied.get(unapplied_id)


def test_y8_refunds_through_the_provider_and_by_bank_are_kept(
    held: tuple[Services, FakeRefundGateway, UnappliedMoney],
) -> None:
    deps, _gateway, money = held
    part = Money.of(1_000_000, money.amount.currency)
    by_provider = refund_unapplied(
        deps, STAFF, unapplied_id=money.id, amount=part, reason="part back", idempotency_key="r-1"
    )
    assert by_provider.state is RefundState.SUCCEEDED
    by_bank = record_bank_refund(
        deps, STAFF, unapplied_id=money.id, reference="HT-0001", reason="the rest", idempotency_key="b-1"
    )
    assert by_bank.amount == money.amount - part
    assert _money(deps, money.id).remaining == Money.zero(money.amount.currency)
    debit = RefundDebit(
        line_id="d-1", booked_at=money.received_at, amount=by_bank.amount, description="HOAN TIEN HT-0001"
    )
    (confirmed,) = confirm_bank_refunds(deps, STAFF, [debit])
    assert (confirmed.id, confirmed.statement_line) == (by_bank.id, "d-1")
    assert _money(deps, money.id).state is UnappliedState.REFUNDED
    assert refunds_of(deps, STAFF, customer_id="cus-1") == [by_provider, confirmed]


def _race(work: object, count: int = THREADS) -> list[Refund | SubscriptionError]:
    barrier = threading.Barrier(count, timeout=60)

    def run(i: int) -> Refund | SubscriptionError:
        barrier.wait()
        try:
            return work(i)  # type: ignore[operator, no-any-return]
        except SubscriptionError as refused:
            return refused

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _postgresql_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the race needs concurrent writers: PostgreSQL (SQLite serialises its writers)")


def test_y8_twenty_racing_requests_with_one_key_make_one_refund(
    held: tuple[Services, FakeRefundGateway, UnappliedMoney], engine: Engine
) -> None:
    _postgresql_only(engine)
    deps, gateway, money = held

    def ask(_i: int) -> Refund:
        return refund_unapplied(deps, STAFF, unapplied_id=money.id, reason="left", idempotency_key="one-key")

    results = _race(ask)
    refunds = [r for r in results if isinstance(r, Refund)]
    assert len(refunds) == THREADS, [r for r in results if not isinstance(r, Refund)]
    assert len({r.id for r in refunds}) == 1
    (stored,) = refunds_of(deps, STAFF, customer_id="cus-1")
    assert (stored.state, stored.amount) == (RefundState.SUCCEEDED, money.amount)
    assert list(gateway.done) == [stored.id]  # the provider refunded once
    assert _money(deps, money.id).state is UnappliedState.REFUNDED


def test_y8_twenty_racing_refunds_never_exceed_the_money_received(
    held: tuple[Services, FakeRefundGateway, UnappliedMoney], engine: Engine
) -> None:
    _postgresql_only(engine)
    deps, _gateway, money = held
    share = Money.of(money.amount.amount // 8, money.amount.currency)  # 20 x share is far more than received

    def ask(i: int) -> Refund:
        return refund_unapplied(
            deps, STAFF, unapplied_id=money.id, amount=share, reason="part", idempotency_key=f"k-{i}"
        )

    _race(ask)
    stored = refunds_of(deps, STAFF, customer_id="cus-1")
    kept = _money(deps, money.id)
    total = sum((r.amount for r in stored if r.outstanding), Money.zero(money.amount.currency))
    assert total <= money.amount
    assert total == kept.refunding + kept.refunded == money.amount - kept.remaining
    assert 1 <= len(stored) <= 8  # a thread may lose its race too often: then it refunds nothing
