"""One order as the actor may see it (O1-O5, I1, B2, A1-A3): ``order_detail``."""

from __future__ import annotations

import pytest

from subscription_core.bulk import BulkRenewal, BulkRow, InvoiceTarget
from subscription_core.customers import Actor
from subscription_core.errors import NotFoundError, PermissionDeniedError, ValidationError
from subscription_core.orders import Order, OrderState
from subscription_core.services import NewPurchase, customer_orders, order_detail, place_bulk_renewal
from subscription_core.transfers import transfer_reference

from .harness import ACCOUNTANT, BUYER, NON_BUYER, OTHER_ACCOUNTANT, STAFF, STRANGER, World, party, tax_code


def test_o4_y3_order_detail_is_the_summary_customer_orders_gives(world: World) -> None:
    placed = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    seen = order_detail(world.deps, BUYER, placed.id)
    assert seen == customer_orders(world.deps, BUYER, "cus-1")[0]
    assert seen.state is OrderState.PLACED
    assert seen.transfer_reference == transfer_reference(placed.id)
    assert seen.total == placed.grand_total
    assert not seen.shared


def test_i1_order_detail_of_a_paid_order_shows_its_invoice(world: World) -> None:
    sub = world.buy(1)
    order = world.renew(sub.id)
    world.pay_online(order)
    seen = order_detail(world.deps, NON_BUYER, order.id)  # A1: any user of the company may look
    assert seen.state is OrderState.FULFILLED
    assert seen.transfer_reference is None
    assert [(i.order_id, i.part) for i in seen.invoices] == [(order.id, 0)]


def test_a1_order_detail_seen_by_staff_and_the_company_s_accountant(world: World) -> None:
    placed = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    assert order_detail(world.deps, STAFF, placed.id).id == placed.id
    assert order_detail(world.deps, ACCOUNTANT, placed.id).id == placed.id


@pytest.mark.parametrize("actor", [STRANGER, OTHER_ACCOUNTANT])
def test_a1_order_detail_refused_to_others(world: World, actor: Actor) -> None:
    placed = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError) as refused:
        order_detail(world.deps, actor, placed.id)
    assert refused.value.rule == "A1"
    assert world.snapshot() == before


def test_o1_order_detail_of_an_unknown_or_malformed_id(world: World) -> None:
    with pytest.raises(NotFoundError):
        order_detail(world.deps, STAFF, "ord-none")
    with pytest.raises(ValidationError):
        order_detail(world.deps, STAFF, "")


def _bulk(world: World) -> tuple[str, Order]:
    world.buy(1)
    world.buy(2, actor=STRANGER)
    other = party("Văn phòng KTDV", 7, "hoadon@ktdv.vn")
    rows = (BulkRow(client=tax_code(1), option="1y"), BulkRow(client="HKD-2", option="2y"))
    request = BulkRenewal(product="amis", rows=rows, invoice_target=InvoiceTarget.OTHER, other_buyer=other)
    order = place_bulk_renewal(world.deps, ACCOUNTANT, request, confirmed=True, idempotency_key=world.key())
    return order.id, order


def test_b2_a_client_sees_only_its_own_lines_of_a_bulk_renewal(world: World) -> None:
    order_id, _ = _bulk(world)
    mine = order_detail(world.deps, STRANGER, order_id)
    assert {line.customer_id for line in mine.lines} == {"cus-2"}
    assert mine.shared
    assert mine == customer_orders(world.deps, STRANGER, "cus-2")[0]


def test_a3_b2_staff_and_the_placing_accountant_see_the_whole_bulk_renewal(world: World) -> None:
    order_id, order = _bulk(world)
    for actor in (STAFF, ACCOUNTANT):
        whole = order_detail(world.deps, actor, order_id)
        assert {line.customer_id for line in whole.lines} == {"cus-1", "cus-2"}
        assert not whole.shared
        assert whole.total == order.grand_total


def test_a3_b2_a_shared_invoice_shows_each_viewer_its_part(world: World) -> None:
    order_id, order = _bulk(world)
    world.pay_online(order, actor=ACCOUNTANT)
    whole = order_detail(world.deps, ACCOUNTANT, order_id).invoices
    mine = order_detail(world.deps, BUYER, order_id).invoices
    assert len(whole) == len(mine) == 1
    assert not whole[0].shared
    assert {line.customer_id for line in whole[0].lines} == {"cus-1", "cus-2"}
    assert mine[0].shared
    assert {line.customer_id for line in mine[0].lines} == {"cus-1"}
    assert mine[0].number == whole[0].number


@pytest.mark.parametrize("actor", [OTHER_ACCOUNTANT, Actor.customer_user("u-3", "cus-3")])
def test_a3_a_bulk_renewal_refused_to_a_firm_that_did_not_place_it_and_to_non_clients(
    world: World, actor: Actor
) -> None:
    order_id, _ = _bulk(world)
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError) as refused:
        order_detail(world.deps, actor, order_id)
    assert refused.value.rule == "A3"
    assert world.snapshot() == before
