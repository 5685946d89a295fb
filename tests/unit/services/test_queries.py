"""What a company sees of its subscriptions (S7, S8)."""

from __future__ import annotations

import datetime as dt

import pytest

from subscription_core.bulk import BulkRenewal, BulkRow
from subscription_core.errors import NotFoundError, PermissionDeniedError, ValidationError
from subscription_core.orders import OrderState
from subscription_core.payments import MethodKind
from subscription_core.services import NewPurchase, place_bulk_renewal, record_offline_payment, subscription_details
from subscription_core.services.queries import customer_orders
from subscription_core.subscriptions import State
from subscription_core.transfers import transfer_reference

from .harness import ACCOUNTANT, BUYER, NON_BUYER, STAFF, STRANGER, TRANSFER, World, tax_code


def test_s7_s8_detail_shows_quotas_expiry_seats_notes_method_invoices_history(world: World) -> None:
    sub = world.buy()
    renewal = world.renew(sub.id)
    record_offline_payment(
        world.deps,
        STAFF,
        order_id=renewal.id,
        method=TRANSFER,
        amount=renewal.grand_total,
        reason="paid at the counter",
        idempotency_key="o-1",
    )
    (detail,) = subscription_details(world.deps, BUYER, "cus-1", usage={sub.id: {"storage": 4, "employees": 12}})
    quotas = {q.code: (q.granted, q.used) for q in detail.resources.quotas}
    assert quotas == {"storage": (10, 4), "employees": (50, 12)}
    assert detail.resources.last_day == dt.date(2027, 11, 22)
    assert [(q.code, q.granted) for q in detail.seats] == [("employees", 50)]
    assert [n.reason for n in detail.staff_changes] == [f"paid at the counter: order {renewal.id}, payment pay-0002"]
    assert detail.payment_method is not None
    assert detail.payment_method.kind is MethodKind.BANK_TRANSFER
    assert [(i.order_id, i.part) for i in detail.invoices] == [("ord-0001", 0), (renewal.id, 0)]
    assert [e.event.value for e in detail.history] == ["subscribe", "receive_payment"]
    assert detail.state is State.ACTIVE


def test_s8_a_company_may_hold_several_subscriptions(world: World) -> None:
    first = world.buy()
    second = world.buy(plan="pro")
    details = subscription_details(world.deps, NON_BUYER, "cus-1")
    assert [d.id for d in details] == sorted([first.id, second.id])
    assert {d.plan_code for d in details} == {"std", "pro"}


def test_s7_detail_as_of_now_without_saving(world: World) -> None:
    sub = world.buy()
    world.at(days=370)
    before = world.snapshot()
    (detail,) = subscription_details(world.deps, ACCOUNTANT, "cus-1")
    assert detail.state is State.EXPIRED
    assert world.snapshot() == before
    assert world.subscription(sub.id).state is State.ACTIVE


def test_s7_unpaid_order_shows_no_payment_method(world: World) -> None:
    world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    assert subscription_details(world.deps, BUYER, "cus-1") == ()


@pytest.mark.parametrize("usage", [{"sub-0001": {"storage": -1}}, {"sub-0001": 3}, ["storage"]])
def test_s7_malformed_usage_refused(world: World, usage: object) -> None:
    world.buy()
    with pytest.raises(ValidationError) as caught:
        subscription_details(world.deps, BUYER, "cus-1", usage=usage)  # type: ignore[arg-type]
    assert caught.value.rule == "S7"


def test_s8_unknown_company(world: World) -> None:
    with pytest.raises(NotFoundError):
        subscription_details(world.deps, STAFF, "cus-404")


# --- the orders a company sees ------------------------------------------------------------------------


def test_o4_y3_a_company_sees_its_orders_newest_first_with_the_transfer_reference_while_unpaid(world: World) -> None:
    world.buy(1)  # paid online
    later = world.clock.now() + dt.timedelta(hours=1)
    world.clock.set(later)
    unpaid = world.place(NewPurchase(customer_id="cus-1", plan="pro", option="1y"))
    first, second = customer_orders(world.deps, BUYER, "cus-1")
    assert first.id == unpaid.id
    assert (first.state, first.transfer_reference) == (OrderState.PLACED, transfer_reference(unpaid.id))
    assert first.total == unpaid.grand_total
    assert not first.shared
    assert first.invoices == ()
    assert second.state is OrderState.FULFILLED
    assert second.transfer_reference is None
    assert [(i.order_id, i.part) for i in second.invoices] == [(second.id, 0)]


def test_b2_a_client_of_a_bulk_renewal_sees_only_its_own_lines(world: World) -> None:
    world.buy(1)
    world.buy(2, actor=STRANGER)
    rows = (BulkRow(client=tax_code(1), option="1y"), BulkRow(client="HKD-2", option="2y"))
    request = BulkRenewal(product="amis", rows=rows)
    order = place_bulk_renewal(world.deps, ACCOUNTANT, request, confirmed=True, idempotency_key=world.key())
    seen = customer_orders(world.deps, STRANGER, "cus-2")[0]
    assert seen.id == order.id
    assert seen.shared
    assert {line.customer_id for line in seen.lines} == {"cus-2"}
    assert seen.total < order.grand_total
    assert customer_orders(world.deps, ACCOUNTANT, "cus-2")[0].lines == seen.lines  # A3: the firm sees it too


def test_a1_a_stranger_sees_no_company_s_orders(world: World) -> None:
    world.buy(1)
    with pytest.raises(PermissionDeniedError):
        customer_orders(world.deps, STRANGER, "cus-1")
