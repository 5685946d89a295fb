"""Paying, fulfilling and invoicing end to end on every repository adapter, with VNPay and the e-invoice (O7, I3).

The shop runs the real VNPay adapter (its IPN answered by ``answer_ipn``) and the reference e-invoice issuer,
over each unit-of-work adapter of the registry (memory, SQLite, PostgreSQL). An order that can be paid can
always be fulfilled: details the e-invoice would refuse are refused when the order is placed, and an order
whose invoice cannot be issued (stored before that check, or an issuer that is down) is fulfilled anyway,
its invoice left pending for staff to see (O7). A number is taken only by an issued invoice of a fulfilled
order, never by one the buyer cancelled while its payment was being applied (I3).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.errors import SubscriptionError, ValidationError
from subscription_core.invoices import InvoiceRequest, IssuedInvoice
from subscription_core.order_lines import Billing
from subscription_core.orders import Order, OrderState
from subscription_core.payments import PaymentMethod
from subscription_core.ports import InvoiceIssuer, UnitOfWorkFactory
from subscription_core.services import (
    Checkout,
    NewPurchase,
    Services,
    cancel_order,
    place_order,
    record_offline_payment,
    start_payment,
    unissued_invoices,
)
from subscription_core.subscriptions import State
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.einvoice import InvoiceSeries, MemoryNumberedInvoices, ReferenceInvoiceIssuer, Seller
from subscription_core_adapters.fakes import RecordingNotifier
from subscription_core_adapters.gateways import IpnAnswer, answer_ipn
from subscription_core_adapters.local import ManualClock, SequentialIds

from .builders import CATALOG, T0, tax_code
from .harness_vnpay import vnpay_harness
from .registry import ProviderHarness

CARD = PaymentMethod.domestic_card("NCB")
BUYER = Actor.customer_user("u-1", "cus-1")
STAFF = Actor.staff("st-1")
SELLER = Seller(
    name="Công ty Cổ phần Phần mềm Sao Mai",
    tax_code=tax_code(4_242),
    address="Tầng 9, 9 Duy Tân, Cầu Giấy, Hà Nội",
    email="hoadon@nhacungcap.vn",
)
GOOD = Party(unit_name="Công ty Số 1", address="Cầu Giấy, Hà Nội", email="ketoan@example.vn", tax_code=tax_code(1))
LONG_EMAIL = "a" * 40 + "@example.com"  # 52 characters: RFC 5321 allows it, the e-invoice's DCTDTu takes 50
REFUSED_BY_THE_E_INVOICE = {
    "control character": ({"unit_name": "Công ty\x07 Số 1"}, "unit_name"),
    "401-character name": ({"unit_name": "C" * 401}, "unit_name"),
    "401-character address": ({"address": "Đ" * 401}, "address"),
    "51+ character e-mail": ({"email": LONG_EMAIL}, "email"),
    "U+FFFE": ({"address": "Cầu Giấy\ufffe Hà Nội"}, "address"),
}


class ReachableIssuer:
    """An invoice issuer in front of another, which is down (raises) while :attr:`down` is set."""

    def __init__(self, issuer: InvoiceIssuer) -> None:
        """Issue through ``issuer``."""
        self.issuer = issuer
        self.down = False
        self.calls = 0

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        """Issue through the real issuer, or raise ``ConnectionError`` while down."""
        self.calls += 1
        if self.down:
            raise ConnectionError("the e-invoice provider does not answer")
        return self.issuer.issue(request)


@attrs.define
class Shop:
    """The services with VNPay and the reference e-invoice issuer on one repository adapter."""

    deps: Services
    vnpay: ProviderHarness
    numbers: MemoryNumberedInvoices
    issuer: ReachableIssuer
    clock: ManualClock
    keys: Iterator[int] = attrs.field(factory=lambda: iter(range(10**6)))

    def key(self) -> str:
        """A fresh idempotency key."""
        return f"key-{next(self.keys)}"

    def place(self, checkout: Checkout | None = None) -> Order:
        """A new purchase of a year of Standard by ``u-1``, awaiting payment."""
        request = NewPurchase(customer_id="cus-1", plan="STD", option="1Y")
        return place_order(self.deps, BUYER, request, checkout or Checkout(confirmed=True), idempotency_key=self.key())

    def pay_by_card(self, order: Order) -> IpnAnswer:
        """Start a card payment of ``order`` and deliver VNPay's success IPN for it."""
        started = start_payment(self.deps, BUYER, order_id=order.id, method=CARD, idempotency_key=self.key())
        assert self.vnpay.notify is not None
        return answer_ipn(self.deps, self.vnpay.notify(order, event_id=started.payment_id), provider="vnpay")

    def order(self, order_id: str) -> Order:
        """The order as committed."""
        with self.deps.uow() as uow:
            return uow.orders.get(order_id)

    def state_of_subscription(self, order: Order) -> State:
        """The state of the subscription ``order`` opened."""
        with self.deps.uow() as uow:
            [sub] = uow.subscriptions.of_customer("cus-1")
        assert sub.id == order.lines[0].ref
        return sub.state


@contextlib.contextmanager
def open_shop(units: UnitOfWorkFactory) -> Iterator[Shop]:
    """A shop on ``units`` with customer ``cus-1`` (buyer ``u-1``)."""
    clock = ManualClock(T0)
    vnpay = vnpay_harness()
    numbers = MemoryNumberedInvoices()
    issuer = ReachableIssuer(ReferenceInvoiceIssuer(SELLER, InvoiceSeries("C26TAA"), numbers, clock))
    deps = bootstrap_memory(
        CATALOG,
        clock=clock,
        ids=SequentialIds(),
        uow=units,
        providers={"vnpay": vnpay.provider},
        invoices=issuer,
        notifier=RecordingNotifier(),
    )
    with deps.uow() as uow:
        customer = Customer(
            id="cus-1",
            name=GOOD.unit_name,
            tax_code=tax_code(1),
            subscriber=GOOD,
            invoice=InvoiceInfo.same_as(GOOD),
            buyers=frozenset({"u-1"}),
        )
        uow.customers.add(customer)
        uow.commit()
    yield Shop(deps=deps, vnpay=vnpay, numbers=numbers, issuer=issuer, clock=clock)


@pytest.fixture
def shop(units: UnitOfWorkFactory) -> Iterator[Shop]:
    """A fresh shop on each repository adapter."""
    with open_shop(units) as made:
        yield made


def _details(changes: dict[str, Any]) -> Party:
    fields = {"unit_name": GOOD.unit_name, "address": GOOD.address, "email": GOOD.email, "tax_code": GOOD.tax_code}
    return Party(**{**fields, **changes})


@pytest.mark.parametrize("case", sorted(REFUSED_BY_THE_E_INVOICE))
@pytest.mark.parametrize("where", ["subscriber", "invoice"])
def test_o7_details_the_e_invoice_refuses_are_refused_when_the_order_is_placed(
    shop: Shop, case: str, where: str
) -> None:
    changes, field = REFUSED_BY_THE_E_INVOICE[case]
    bad = _details(changes)
    checkout = (
        Checkout(confirmed=True, subscriber=bad) if where == "subscriber" else Checkout(confirmed=True, invoice=bad)
    )
    with pytest.raises(ValidationError) as refused:
        shop.place(checkout)
    assert refused.value.rule == "O7"
    assert refused.value.field.endswith(f"{where}.{field}")
    raw = str(changes[field])
    assert raw not in str(refused.value)
    with shop.deps.uow() as uow:
        assert uow.orders.of_customer("cus-1") == []


def _stored_before_the_check(shop: Shop, case: str) -> Order:
    """An order placed with good details, then its invoice details made ones the e-invoice refuses.

    This is how an order placed before O7's check was stored: nothing refused its details then.
    """
    order = shop.place()
    bad = _details(REFUSED_BY_THE_E_INVOICE[case][0])
    billing = Billing(customer_id="cus-1", subscriber=bad, invoice=InvoiceInfo.same_as(bad))
    stale = attrs.evolve(order, billing=(billing,), version=order.version + 1)
    with shop.deps.uow() as uow:
        uow.orders.save(stale, expected_version=order.version)
        uow.commit()
    return stale


@pytest.mark.parametrize("case", sorted(REFUSED_BY_THE_E_INVOICE))
def test_o7_an_order_whose_invoice_is_refused_is_fulfilled_by_its_vnpay_payment(shop: Shop, case: str) -> None:
    order = _stored_before_the_check(shop, case)
    answer = shop.pay_by_card(order)
    assert answer.rsp_code == "00"
    assert shop.order(order.id).state is OrderState.FULFILLED
    assert shop.state_of_subscription(order) is State.ACTIVE
    assert shop.numbers.numbers("1C26TAA") == []
    [pending] = unissued_invoices(shop.deps, STAFF)
    assert pending.key == (order.id, 0)
    assert pending.attempts == 1
    assert pending.last_error is not None
    changes, field = REFUSED_BY_THE_E_INVOICE[case]
    assert pending.last_error.startswith("ValidationError: [I")
    assert str(changes[field]) not in pending.last_error


@pytest.mark.parametrize("case", sorted(REFUSED_BY_THE_E_INVOICE))
def test_o7_staff_recording_the_money_fulfil_an_order_whose_invoice_is_refused(shop: Shop, case: str) -> None:
    order = _stored_before_the_check(shop, case)
    recorded = record_offline_payment(
        shop.deps,
        STAFF,
        order_id=order.id,
        method=PaymentMethod.bank_transfer(),
        amount=order.grand_total,
        reason="transfer seen on the statement",
        idempotency_key=shop.key(),
    )
    assert recorded.state is OrderState.FULFILLED
    assert shop.order(order.id).state is OrderState.FULFILLED
    assert shop.numbers.numbers("1C26TAA") == []


def test_o7_an_issuer_that_is_down_never_holds_back_the_activation(shop: Shop) -> None:
    order = shop.place()
    shop.issuer.down = True
    assert shop.pay_by_card(order).rsp_code == "00"
    assert shop.order(order.id).state is OrderState.FULFILLED
    assert shop.state_of_subscription(order) is State.ACTIVE
    assert shop.numbers.numbers("1C26TAA") == []
    with shop.deps.uow() as uow:
        assert uow.invoices.of_order(order.id) == []


def _cancel_in_another_thread(shop: Shop, order: Order) -> list[object]:
    """Cancel ``order`` as its buyer on another thread, wait for it, and return what it raised or returned."""
    outcome: list[object] = []

    def cancel() -> None:
        try:
            outcome.append(cancel_order(shop.deps, BUYER, order.id, reason="changed my mind", idempotency_key="cx"))
        except SubscriptionError as error:
            outcome.append(error)

    thread = threading.Thread(target=cancel)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    return outcome


class CancellingIssuer:
    """An issuer that lets the buyer cancel the order while the payment is being applied, then issues."""

    def __init__(self, shop: Shop, order: Order) -> None:
        """Cancel ``order`` of ``shop`` on the first call."""
        self.shop = shop
        self.order = order
        self.inner = shop.issuer.issuer
        self.outcome: list[object] = []

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        """Cancel once (on another thread, waiting for it), then issue through the real issuer."""
        if not self.outcome:
            self.outcome = _cancel_in_another_thread(self.shop, self.order)
        return self.inner.issue(request)


def test_i3_a_cancel_while_a_vnpay_success_is_applied_never_takes_a_number_for_a_cancelled_order(shop: Shop) -> None:
    order = shop.place()
    racing = CancellingIssuer(shop, order)
    shop.issuer.issuer = racing
    shop.pay_by_card(order)
    final = shop.order(order.id)
    used = shop.numbers.numbers("1C26TAA")
    assert (final.state, used) in [(OrderState.FULFILLED, [1]), (OrderState.CANCELLED, [])]


@pytest.mark.usefixtures("eager_thread_switching")
def test_i3_cancels_racing_vnpay_successes_take_numbers_only_for_fulfilled_orders(shop: Shop) -> None:
    orders = [shop.place() for _ in range(6)]
    payments = [start_payment(shop.deps, BUYER, order_id=o.id, method=CARD, idempotency_key=shop.key()) for o in orders]
    barrier = threading.Barrier(2, timeout=60)
    assert shop.vnpay.notify is not None
    notify = shop.vnpay.notify

    def pay(i: int) -> None:
        barrier.wait()
        answer_ipn(shop.deps, notify(orders[i], event_id=payments[i].payment_id), provider="vnpay")

    def cancel(i: int) -> None:
        barrier.wait()
        with contextlib.suppress(SubscriptionError):
            cancel_order(shop.deps, BUYER, orders[i].id, reason="changed my mind", idempotency_key=f"cx-{i}")

    for i in range(len(orders)):
        threads = [threading.Thread(target=pay, args=(i,)), threading.Thread(target=cancel, args=(i,))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    fulfilled = [o.id for o in orders if shop.order(o.id).state is OrderState.FULFILLED]
    assert len(shop.numbers.numbers("1C26TAA")) == len(fulfilled)
    with shop.deps.uow() as uow:
        invoiced = [o.id for o in orders if uow.invoices.of_order(o.id)]
    assert invoiced == fulfilled
