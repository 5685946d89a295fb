"""NgânLượng's GetTransactionDetail behind the PaymentStatusQuery port: a payment whose return never came (Y5, Y6).

NgânLượng 3.1 tells the shop only through the buyer's browser. A buyer who pays and closes the page leaves
money NgânLượng took that the shop never heard of; the scheduler asks NgânLượng, by the token the payment's
start kept, before lapsing the order. Everything runs against the local stand-in on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from subscription_core.orders import OrderState
from subscription_core.payments import PaymentMethod, PaymentState
from subscription_core.ports import PaymentStatus, PaymentStatusRequest
from subscription_core.services import NotificationStatus, run_scheduler
from subscription_core_adapters.fakes.nganluong_sandbox import NganLuongSandbox
from subscription_core_adapters.gateways import NganLuongOutcome, NganLuongPaymentStatusQuery, NganLuongProvider

from .conftest import T0
from .nganluong_shop import PASSWORD, NlShop, buyer_of, config, stand_in

PAST_DEADLINE = dt.timedelta(days=8)


@pytest.fixture
def sandbox() -> Iterator[NganLuongSandbox]:
    """NgânLượng's stand-in on 127.0.0.1, knowing the test merchant."""
    with stand_in() as running:
        yield running


@pytest.fixture
def shop(sandbox: NganLuongSandbox) -> NlShop:
    """A shop whose scheduler asks NgânLượng about payments left started."""
    return NlShop.make(sandbox, query=True)


def asked(token: str | None, *, order_id: str = "ord-1", payment_id: str = "pay-1") -> PaymentStatusRequest:
    return PaymentStatusRequest(
        payment_id=payment_id,
        order_id=order_id,
        amount="6600000",
        currency="VND",
        method=PaymentMethod.domestic_card("VCB"),
        started_at=T0,
        start_ref=token,
    )


def test_y5_the_payment_keeps_nganluongs_token_from_its_start(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    (payment,) = shop.payments(order.id)
    assert payment.start_ref == started.provider_ref
    assert payment.start_ref is not None
    assert payment.provider_ref is None  # the confirming event's reference comes with the success


def test_y6_a_paid_checkout_whose_return_never_came_is_applied_by_the_scheduler(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    shop.sandbox.pay(started.provider_ref)  # the buyer paid, then closed the page: no return
    shop.clock.advance(PAST_DEADLINE)
    run = run_scheduler(shop.deps)
    assert (run.confirmed, run.lapsed) == ((order.id,), ())
    assert shop.order(order.id).state is OrderState.FULFILLED
    (payment,) = shop.payments(order.id)
    assert payment.state is PaymentState.SUCCEEDED
    # The buyer comes back at last: the same NgânLượng event, already processed; nothing applied twice.
    page = shop.back(started)
    assert (page.outcome, page.status) == (NganLuongOutcome.SUCCEEDED, NotificationStatus.ALREADY_PROCESSED)
    assert shop.payments(order.id) == [payment]


def test_y5_a_cancelled_checkout_fails_its_payment_and_the_order_lapses(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    shop.sandbox.cancel(started.provider_ref)
    shop.clock.advance(PAST_DEADLINE)
    run = run_scheduler(shop.deps)
    assert (run.confirmed, run.lapsed) == ((), (order.id,))
    assert shop.payments(order.id)[0].state is PaymentState.FAILED
    assert shop.order(order.id).state is OrderState.LAPSED


def test_y5_a_held_payment_holds_the_order_back_until_nganluong_settles_it(shop: NlShop) -> None:
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    shop.sandbox.hold(started.provider_ref)
    shop.clock.advance(PAST_DEADLINE)
    first = run_scheduler(shop.deps)
    assert (first.confirmed, first.lapsed, first.awaiting_status) == ((), (), (order.id,))
    assert shop.order(order.id).state is OrderState.PLACED
    shop.sandbox.pay(started.provider_ref)
    shop.clock.advance(dt.timedelta(hours=1))
    second = run_scheduler(shop.deps)
    assert second.confirmed == (order.id,)
    assert shop.order(order.id).state is OrderState.FULFILLED


def test_y5_what_nganluong_cannot_tell_is_unknown_and_what_it_never_had_is_failed(sandbox: NganLuongSandbox) -> None:
    query = NganLuongPaymentStatusQuery(NganLuongProvider(config(sandbox), buyer=buyer_of))
    assert query.status(asked(None)).status is PaymentStatus.UNKNOWN  # no token kept: it cannot be asked
    assert query.status(asked("999-notatoken")).status is PaymentStatus.FAILED  # NgânLượng's 29: never taken


def test_y5_a_check_that_times_out_is_unknown_and_changes_nothing(sandbox: NganLuongSandbox) -> None:
    shop = NlShop.make(sandbox, query=True, timeout=dt.timedelta(seconds=0.3))
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    sandbox.pay(started.provider_ref)
    sandbox.delay(1.0)
    shop.clock.advance(PAST_DEADLINE)
    run = run_scheduler(shop.deps)
    assert (run.confirmed, run.lapsed, run.awaiting_status) == ((), (), (order.id,))
    assert shop.payments(order.id)[0].state is PaymentState.STARTED
    sandbox.delay(0)
    assert run_scheduler(shop.deps).confirmed == (order.id,)


def test_y5_the_query_shows_no_password() -> None:
    with stand_in() as running:
        query = NganLuongPaymentStatusQuery(NganLuongProvider(config(running), buyer=buyer_of))
        assert PASSWORD not in repr(query)
