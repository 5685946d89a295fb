"""VNPay's refunds behind the core's RefundGateway port, against a local VNPay on 127.0.0.1 (Y8).

The local VNPay (``vnpay_api_server``) checks every request's checksum and finds a payment only by its
TxnRef and the ``vnp_TransactionDate`` equal to the payment URL's ``vnp_CreateDate``, as VNPay does: a
refund that succeeds there proves the date the gateway derived is the one the payment URL carried.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import attrs
import pytest

from subscription_core.customers import Actor
from subscription_core.payments import PaymentMethod, PaymentState
from subscription_core.ports import PaymentRequest, RefundOutcome, RefundRequest
from subscription_core.refunds import RefundMethod, RefundState
from subscription_core.services import UnusedTermRefund, cancel_subscription
from subscription_core_adapters.gateways import (
    VnpayApiClient,
    VnpayApiConfig,
    VnpayConfig,
    VnpayProvider,
    VnpayRefundGateway,
)
from subscription_core_adapters.gateways.vnpay import txn_ref_for
from subscription_core_adapters.local import ManualClock

from .conftest import SECRET, T0, TMN_CODE, Shop, url_params
from .vnpay_api_server import FakeVnpay, Running, start

STAFF = Actor.staff("st-1")
STARTED = dt.datetime(2026, 11, 22, 17, 30, 5, tzinfo=dt.UTC)  # 00:30:05 on 23 Nov in GMT+7
STARTED_ON = "20261123003005"
REF = txn_ref_for("ord-1", "pay-1")


@pytest.fixture
def vnpay() -> Iterator[Running]:
    running = start(FakeVnpay(secret=SECRET, tmn_code=TMN_CODE, delay=3.0))
    yield running
    running.stop()


def gateway(running: Running, *, timeout: float = 5.0) -> VnpayRefundGateway:
    config = VnpayApiConfig(
        tmn_code=TMN_CODE, hash_secret=SECRET, api_url=running.vnpay.url, timeout=dt.timedelta(seconds=timeout)
    )
    return VnpayRefundGateway(VnpayApiClient(config, clock=ManualClock(T0 + dt.timedelta(days=3))))


def request(
    refund_id: str = "rfd-1",
    *,
    amount: str = "2000000",
    reference: str = f"{REF}:14226112:00:00",
    currency: str = "VND",
    started_at: dt.datetime | None = STARTED,
) -> RefundRequest:
    return RefundRequest(
        refund_id=refund_id,
        payment_reference=reference,
        merchant_reference="pay-1",
        paid_at=STARTED + dt.timedelta(minutes=5),
        paid="6000000",
        amount=amount,
        currency=currency,
        requested_by="st-1",
        reason="khách hàng rời đi",
        started_at=started_at,
    )


def test_y8_the_payment_url_is_dated_by_the_payments_own_start_not_the_providers_clock() -> None:
    config = VnpayConfig(tmn_code=TMN_CODE, hash_secret=SECRET, return_url="https://shop.example/vnpay/return")
    provider = VnpayProvider(config, clock=ManualClock(T0))
    asked = PaymentRequest(
        payment_id="pay-1",
        order_id="ord-1",
        amount="6000000",
        currency="VND",
        method=PaymentMethod.domestic_card("NCB"),
        description="Order ord-1",
        started_at=STARTED,
    )
    started = provider.start(asked)
    assert started.redirect_url is not None
    params = url_params(started.redirect_url)
    assert (params["vnp_CreateDate"], params["vnp_ExpireDate"]) == (STARTED_ON, "20261123004505")
    undated = provider.start(attrs.evolve(asked, started_at=None))  # no start instant: the clock's now, as before
    assert undated.redirect_url is not None
    assert url_params(undated.redirect_url)["vnp_CreateDate"] == "20261123090000"


def test_y8_a_refund_finds_the_payment_by_its_start_date_and_is_answered_once(vnpay: Running) -> None:
    vnpay.vnpay.pay(REF, STARTED_ON, 6_000_000)
    refunds = gateway(vnpay)
    first = refunds.refund(request())
    assert first.outcome is RefundOutcome.SUCCEEDED
    assert first.reference
    sent = vnpay.vnpay.received[-1]
    assert (sent["vnp_TransactionType"], sent["vnp_TransactionDate"]) == ("03", STARTED_ON)  # partial, dated
    assert sent["vnp_TransactionNo"] == "14226112"
    assert refunds.refund(request()) == first  # asked again: answered from the first answer, VNPay not called
    assert len(vnpay.vnpay.received) == 1


def test_y8_a_full_refund_is_sent_as_vnpays_full_refund(vnpay: Running) -> None:
    vnpay.vnpay.pay(REF, STARTED_ON, 6_000_000)
    assert gateway(vnpay).refund(request(amount="6000000")).outcome is RefundOutcome.SUCCEEDED
    assert vnpay.vnpay.received[-1]["vnp_TransactionType"] == "02"


def test_y8_a_duplicate_request_answer_is_settled_by_a_query(vnpay: Running) -> None:
    vnpay.vnpay.pay(REF, STARTED_ON, 6_000_000)
    vnpay.vnpay.misbehave.append("late")  # VNPay takes the refund (now processing, 05) but answers too late
    refunds = gateway(vnpay, timeout=0.5)
    assert refunds.refund(request()).outcome is RefundOutcome.UNKNOWN
    vnpay.vnpay.released.set()
    again = refunds.refund(request())  # asked again: VNPay answers 94, settled at once by querydr
    assert [r["vnp_Command"] for r in vnpay.vnpay.received] == ["refund", "refund", "querydr"]
    assert again.outcome is RefundOutcome.SUCCEEDED
    assert vnpay.vnpay.transactions[REF, STARTED_ON].refunded_x100 == 2_000_000 * 100  # refunded once


def test_y8_a_partial_refund_vnpay_cannot_tell_from_another_stays_unknown(vnpay: Running) -> None:
    vnpay.vnpay.pay(REF, STARTED_ON, 6_000_000)
    assert gateway(vnpay).refund(request()).outcome is RefundOutcome.SUCCEEDED  # processing at VNPay (05)
    # Another refund of the same payment, or this one from another process: VNPay's 94 and querydr cannot
    # say which partial refund is processing, so neither is reported done.
    other = gateway(vnpay).refund(request("rfd-2", amount="1000000"))
    assert other.outcome is RefundOutcome.UNKNOWN
    assert "another" in other.message
    assert vnpay.vnpay.transactions[REF, STARTED_ON].refunded_x100 == 2_000_000 * 100


def test_y8_a_full_refund_answered_94_elsewhere_is_settled_by_a_query(vnpay: Running) -> None:
    vnpay.vnpay.pay(REF, STARTED_ON, 6_000_000)
    assert gateway(vnpay).refund(request(amount="6000000")).outcome is RefundOutcome.SUCCEEDED
    again = gateway(vnpay).refund(request(amount="6000000"))  # another process: one full refund per payment
    assert again.outcome is RefundOutcome.SUCCEEDED
    assert vnpay.vnpay.transactions[REF, STARTED_ON].refunded_x100 == 6_000_000 * 100


def test_y8_a_timed_out_refund_is_unknown_then_settled_by_querydr(vnpay: Running) -> None:
    vnpay.vnpay.pay(REF, STARTED_ON, 6_000_000)
    vnpay.vnpay.misbehave.append("late")  # VNPay refunds, but answers after the client gave up
    refunds = gateway(vnpay, timeout=0.5)
    assert refunds.refund(request()).outcome is RefundOutcome.UNKNOWN
    vnpay.vnpay.released.set()
    settled = refunds.query(request())
    assert settled.outcome is RefundOutcome.SUCCEEDED
    assert refunds.refund(request()) == settled  # settled now: a repeat is answered without a second refund
    assert vnpay.vnpay.transactions[REF, STARTED_ON].refunded_x100 == 2_000_000 * 100


def test_y8_a_query_about_a_payment_still_unrefunded_stays_unknown(vnpay: Running) -> None:
    vnpay.vnpay.pay(REF, STARTED_ON, 6_000_000)
    assert gateway(vnpay).query(request()).outcome is RefundOutcome.UNKNOWN


def test_y8_requests_vnpay_cannot_take_fail_without_calling_it(vnpay: Running) -> None:
    refunds = gateway(vnpay)
    undated = refunds.refund(request(started_at=None))
    assert undated.outcome is RefundOutcome.FAILED
    assert "vnp_CreateDate" in undated.message
    assert refunds.refund(request("rfd-2", reference="14226112")).outcome is RefundOutcome.FAILED
    assert refunds.refund(request("rfd-3", currency="USD")).outcome is RefundOutcome.FAILED
    assert refunds.query(request("rfd-4", started_at=None)).outcome is RefundOutcome.UNKNOWN
    assert vnpay.vnpay.received == []
    assert "SECRET" not in repr(refunds)


def test_y8_a_wrong_date_is_refused_by_vnpay_as_no_such_transaction(vnpay: Running) -> None:
    vnpay.vnpay.pay(REF, STARTED_ON, 6_000_000)
    wrong = request(started_at=STARTED + dt.timedelta(seconds=1))
    assert gateway(vnpay).refund(wrong).outcome is RefundOutcome.FAILED
    assert gateway(vnpay).query(wrong).outcome is RefundOutcome.FAILED


def test_y8_the_unused_term_of_a_vnpay_payment_is_refunded_end_to_end(vnpay: Running) -> None:
    shop = Shop.make(refund_gateways={"vnpay": gateway(vnpay)})
    order = shop.place()
    started = shop.start(order)
    assert started.redirect_url is not None
    url = url_params(started.redirect_url)
    vnpay.vnpay.pay(url["vnp_TxnRef"], url["vnp_CreateDate"], int(url["vnp_Amount"]) // 100)
    shop.deliver(shop.ipn(started))
    paid = next(p for p in shop.payments(order.id) if p.state is PaymentState.SUCCEEDED)
    with shop.deps.uow() as uow:
        (subscription,) = uow.subscriptions.of_customer("cus-1")
    subscription_id = subscription.id
    shop.clock.advance(dt.timedelta(days=30))
    done = cancel_subscription(
        shop.deps,
        STAFF,
        subscription_id=subscription_id,
        reason="the customer left",
        idempotency_key="cancel-1",
        refund=UnusedTermRefund(payment_id=paid.id, method=RefundMethod.PROVIDER),
    )
    assert done.refund is not None
    assert done.refund.state is RefundState.SUCCEEDED
    sent = vnpay.vnpay.received[-1]
    assert sent["vnp_TransactionDate"] == url["vnp_CreateDate"]  # derived from Payment.started_at
    assert int(sent["vnp_Amount"]) == int(done.refund.amount.amount) * 100


def test_y8_a_long_running_gateway_remembers_a_bounded_number_of_settled_answers(
    vnpay: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("subscription_core_adapters.gateways.vnpay_refunds._REMEMBERED", 2)
    refs = [txn_ref_for(f"ord-{n}", "pay-1") for n in range(4)]
    for ref in refs:
        vnpay.vnpay.pay(ref, STARTED_ON, 6_000_000)
    refunds = gateway(vnpay)
    asked = [request(f"rfd-{n}", amount="100000", reference=f"{ref}:14226112:00:00") for n, ref in enumerate(refs)]
    answers = [refunds.refund(one) for one in asked]
    assert all(answer.outcome is RefundOutcome.SUCCEEDED for answer in answers)
    assert len(refunds._settled) == 2  # the latest two: a worker's memory does not grow with its age
    assert not refunds._unsettled  # no payment left behind once its refunds are settled
    assert refunds.refund(asked[3]) == answers[3]  # a remembered one: VNPay not called
    assert len(vnpay.vnpay.received) == 4
