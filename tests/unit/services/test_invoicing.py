"""Invoices are issued after the fulfilment commits, retried when the issuer fails, and shown to staff (O7, I3)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from subscription_core.errors import NotFoundError, PermissionDeniedError, ValidationError
from subscription_core.invoices import InvoiceRequest, InvoiceState, IssuedInvoice
from subscription_core.orders import OrderState
from subscription_core.services import (
    NewPurchase,
    cancel_order,
    issue_invoices,
    issue_pending_invoices,
    retry_invoice,
    run_scheduler,
    subscription_details,
    unissued_invoices,
)
from subscription_core.subscriptions import State
from subscription_core_adapters.fakes import MemoryInvoiceIssuer

from .harness import BUYER, STAFF, T0, World


class FlakyIssuer:
    """An invoice issuer that raises while :attr:`down` is set, else issues through a memory issuer."""

    def __init__(self) -> None:
        """Start down."""
        self.inner = MemoryInvoiceIssuer()
        self.down = True
        self.calls = 0

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        """Raise while down (with a message a careless provider might write), else issue."""
        self.calls += 1
        if self.down:
            raise ConnectionError(f"timeout sending the invoice to {request.buyer.email}")
        return self.inner.issue(request)


@pytest.fixture
def flaky(world: World) -> FlakyIssuer:
    """The world's invoice issuer, down until a test brings it up."""
    issuer = FlakyIssuer()
    world.deps = attrs.evolve(world.deps, invoices=issuer)
    return issuer


def _invoice_notices(world: World) -> list[str]:
    return [m.recipient for m in world.outbox() if m.kind == "invoice_issued" and m.channel.value == "email"]


def test_o7_an_issuer_that_fails_never_holds_back_the_activation_and_its_invoice_is_retried_and_issued_once(
    world: World, flaky: FlakyIssuer
) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    world.pay_online(order)
    assert world.order(order.id).state is OrderState.FULFILLED
    assert world.subscription(order.lines[0].ref).state is State.ACTIVE
    [pending] = unissued_invoices(world.deps, STAFF)
    assert (pending.key, pending.state, pending.attempts) == ((order.id, 0), InvoiceState.PENDING, 1)
    assert pending.last_error == "ConnectionError"  # the exception's text (an address here) is never kept
    assert pending.next_attempt_at == T0 + dt.timedelta(minutes=5)
    assert _invoice_notices(world) == []  # the notice goes out when the invoice is issued

    flaky.down = False
    world.at(0, minutes=4)
    assert issue_pending_invoices(world.deps).issued == 0  # not due yet: five minutes after the failure
    world.at(0, minutes=5)
    run = issue_pending_invoices(world.deps)
    assert (run.issued, run.failed) == (1, 0)
    assert issue_pending_invoices(world.deps).issued == 0
    assert issue_invoices(world.deps, order.id) == ()  # nothing left to issue

    assert [i.number for i in flaky.inner.issued] == ["00000001"]
    assert unissued_invoices(world.deps, STAFF) == []
    assert _invoice_notices(world) == ["owner1@company1.vn"]
    [detail] = subscription_details(world.deps, BUYER, "cus-1")
    assert [i.number for i in detail.invoices] == ["00000001"]


def test_o7_failed_attempts_back_off_like_the_outbox(world: World, flaky: FlakyIssuer) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    world.pay_online(order)
    waits = []
    for _ in range(3):
        [pending] = unissued_invoices(world.deps, STAFF)
        world.clock.set(pending.next_attempt_at)
        waits.append(pending.next_attempt_at - pending.last_attempt_at if pending.last_attempt_at else None)
        assert issue_pending_invoices(world.deps).failed == 1
    assert [w.total_seconds() / 60 for w in waits if w is not None] == [5, 10, 20]
    assert flaky.calls == 4


def test_o7_staff_retry_an_invoice_now_whatever_its_retry_time(world: World, flaky: FlakyIssuer) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    world.pay_online(order)
    again = retry_invoice(world.deps, STAFF, order_id=order.id)
    assert (again.state, again.attempts) == (InvoiceState.PENDING, 2)
    flaky.down = False
    issued = retry_invoice(world.deps, STAFF, order_id=order.id)
    assert issued.state is InvoiceState.ISSUED
    assert retry_invoice(world.deps, STAFF, order_id=order.id) == issued  # a repeat changes nothing
    assert len(flaky.inner.issued) == 1
    with pytest.raises(NotFoundError):
        retry_invoice(world.deps, STAFF, order_id=order.id, part=1)


def test_o7_only_staff_see_and_retry_unissued_invoices(world: World, flaky: FlakyIssuer) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    world.pay_online(order)
    with pytest.raises(PermissionDeniedError):
        unissued_invoices(world.deps, BUYER)
    with pytest.raises(PermissionDeniedError):
        retry_invoice(world.deps, BUYER, order_id=order.id)
    with pytest.raises(ValidationError):
        unissued_invoices(world.deps, STAFF, limit=0)
    assert flaky.calls == 1


def test_i3_an_order_cancelled_before_it_is_paid_asks_for_no_invoice(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    cancel_order(world.deps, BUYER, order.id, reason="changed my mind", idempotency_key=world.key())
    assert issue_invoices(world.deps, order.id) == ()
    assert issue_pending_invoices(world.deps).issued == 0
    assert world.issuer.issued == ()
    with world.deps.uow() as uow:
        assert uow.invoices.requested_of(order.id) == []


def test_i3_an_issuer_that_recovers_gives_gapless_numbers_to_fulfilled_orders_only(
    world: World, flaky: FlakyIssuer
) -> None:
    paid = [world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y")) for _ in range(3)]
    dropped = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    for order in paid:
        world.pay_online(order)
    cancel_order(world.deps, BUYER, dropped.id, reason="bought elsewhere", idempotency_key=world.key())
    flaky.down = False
    world.at(1)
    assert issue_pending_invoices(world.deps).issued == 3
    assert sorted(i.number for i in flaky.inner.issued) == ["00000001", "00000002", "00000003"]
    assert {i.order_id for i in flaky.inner.issued} == {o.id for o in paid}


def test_o7_issuing_after_a_fulfilment_is_capped_and_the_scheduler_issues_the_rest(
    world: World, flaky: FlakyIssuer
) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    world.pay_online(order)  # the issuer is down: the invoice waits, the subscription is active
    flaky.down = False
    assert issue_invoices(world.deps, order.id, limit=0) == ()  # a bulk renewal's invoices past the cap wait
    assert len(unissued_invoices(world.deps, STAFF)) == 1
    world.at(minutes=10)
    assert run_scheduler(world.deps).invoices_issued == 1
    assert unissued_invoices(world.deps, STAFF) == []
    assert _invoice_notices(world) == ["owner1@company1.vn"]
