"""VNPay's querydr behind the PaymentStatusQuery port, and the scheduler applying a lost IPN end to end (Y5, Y6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from subscription_core.orders import OrderState
from subscription_core.payments import PaymentMethod, PaymentState
from subscription_core.ports import PaymentStatus, PaymentStatusRequest
from subscription_core.services import run_scheduler
from subscription_core_adapters.gateways import IpnCode, VnpayApiClient, VnpayApiConfig, VnpayPaymentStatusQuery
from subscription_core_adapters.gateways.vnpay import txn_ref_for
from subscription_core_adapters.local import ManualClock

from .conftest import SECRET, T0, TMN_CODE, Shop, url_params
from .vnpay_api_server import FakeVnpay, Running, start

STARTED = dt.datetime(2026, 11, 22, 17, 30, 5, tzinfo=dt.UTC)  # 00:30:05 on 23 Nov in GMT+7
STARTED_ON = "20261123003005"
REF = txn_ref_for("ord-1", "pay-1")
ASKED = PaymentStatusRequest(
    payment_id="pay-1",
    order_id="ord-1",
    amount="6000000",
    currency="VND",
    method=PaymentMethod.domestic_card("NCB"),
    started_at=STARTED,
)


@pytest.fixture
def vnpay() -> Iterator[Running]:
    running = start(FakeVnpay(secret=SECRET, tmn_code=TMN_CODE))
    yield running
    running.stop()


def query(running: Running, clock: ManualClock) -> VnpayPaymentStatusQuery:
    config = VnpayApiConfig(
        tmn_code=TMN_CODE, hash_secret=SECRET, api_url=running.vnpay.url, timeout=dt.timedelta(seconds=5)
    )
    return VnpayPaymentStatusQuery(VnpayApiClient(config, clock=clock), clock=clock)


def test_y5_a_payment_vnpay_took_is_paid_with_the_ipns_own_event_id(vnpay: Running) -> None:
    txn = vnpay.vnpay.pay(REF, STARTED_ON, 6_000_000)
    answer = query(vnpay, ManualClock(T0 + dt.timedelta(days=8))).status(ASKED)
    assert answer.status is PaymentStatus.PAID
    assert answer.notification is not None
    assert answer.notification.event_id == f"{REF}:{txn.transaction_no}:00:00"
    assert (answer.notification.order_id, str(answer.notification.amount)) == ("ord-1", "6000000")
    sent = vnpay.vnpay.received[-1]
    assert (sent["vnp_Command"], sent["vnp_TxnRef"], sent["vnp_TransactionDate"]) == ("querydr", REF, STARTED_ON)


def test_y5_a_failed_payment_is_failed(vnpay: Running) -> None:
    vnpay.vnpay.pay(REF, STARTED_ON, 6_000_000, status="02")
    assert query(vnpay, ManualClock(T0)).status(ASKED).status is PaymentStatus.FAILED


def test_y5_a_payment_vnpay_does_not_know_fails_only_once_its_page_expired(vnpay: Running) -> None:
    clock = ManualClock(STARTED + dt.timedelta(minutes=14))
    assert query(vnpay, clock).status(ASKED).status is PaymentStatus.UNKNOWN  # the page may still be paid
    clock.set(STARTED + dt.timedelta(minutes=15))
    assert query(vnpay, clock).status(ASKED).status is PaymentStatus.FAILED


def test_y5_no_trustworthy_answer_is_unknown(vnpay: Running) -> None:
    vnpay.vnpay.pay(REF, STARTED_ON, 6_000_000)
    vnpay.vnpay.misbehave += ["http500", "tampered", "unsigned"]
    asker = query(vnpay, ManualClock(T0 + dt.timedelta(days=8)))
    assert [asker.status(ASKED).status for _ in range(3)] == [PaymentStatus.UNKNOWN] * 3
    assert "SECRET" not in repr(asker)


def test_y5_a_lost_ipn_is_applied_by_the_scheduler_end_to_end(vnpay: Running) -> None:
    clock_for_vnpay = ManualClock(T0)
    shop = Shop.make(status_queries={"vnpay": query(vnpay, clock_for_vnpay)})
    order = shop.place()
    started = shop.start(order)
    assert started.redirect_url is not None
    url = url_params(started.redirect_url)
    txn = vnpay.vnpay.pay(url["vnp_TxnRef"], url["vnp_CreateDate"], int(url["vnp_Amount"]) // 100)
    # The buyer paid at VNPay, but its IPN never reached the shop. A week and a day later:
    shop.clock.advance(dt.timedelta(days=8))
    clock_for_vnpay.set(shop.clock.now())
    run = run_scheduler(shop.deps)
    assert (run.confirmed, run.lapsed) == ((order.id,), ())
    assert shop.order(order.id).state is OrderState.FULFILLED
    (payment,) = shop.payments(order.id)
    assert payment.state is PaymentState.SUCCEEDED
    # The IPN comes at last: VNPay is told it was confirmed already, and nothing is applied twice.
    late = shop.deliver(shop.ipn(started, number=txn.transaction_no))
    assert late.code is IpnCode.ALREADY_CONFIRMED
    assert shop.payments(order.id) == [payment]
