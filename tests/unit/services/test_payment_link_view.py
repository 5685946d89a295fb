"""The page a payment link opens (O5): ``payment_link_view`` shows the package, licence, invoice and amount."""

from __future__ import annotations

import attrs
import pytest

from subscription_core.customers import Party
from subscription_core.errors import NotEligibleError, ValidationError
from subscription_core.services import (
    AddonChoice,
    Checkout,
    LinkedOrder,
    NewPurchase,
    PaymentLinkView,
    issue_payment_link,
    open_payment_link,
    payment_link_view,
)
from subscription_core.testing import valid_tax_code

from .harness import STAFF, World, party

_BUYER_FOR_INVOICE = Party(
    unit_name="Kế toán Hộ Kinh doanh Số 3",
    address="Đống Đa, Hà Nội",
    email="ketoan3@hkd3.vn",
    tax_code=valid_tax_code(7),
)


def _placed(world: World) -> str:
    request = NewPurchase(customer_id="cus-3", plan="ent", option="1y", addons=(AddonChoice(addon="training"),))
    subscriber = party("Chi nhánh Số 3", 3, "chinhanh3@company3.vn")
    checkout = Checkout(confirmed=True, subscriber=subscriber, invoice=_BUYER_FOR_INVOICE)
    order = world.place(request, actor=STAFF, checkout=checkout)
    return issue_payment_link(world.deps, STAFF, order_id=order.id).token


def test_o5_the_link_page_shows_package_licence_invoice_and_amount_and_changes_nothing(world: World) -> None:
    token = _placed(world)
    before = world.snapshot()
    page = payment_link_view(world.deps, token)
    order = world.order(page.order.order_id)
    assert page.order == open_payment_link(world.deps, token) == LinkedOrder.of(order)
    assert page.amount == order.grand_total
    [package] = page.packages  # the training add-on line is not a package
    assert (package.product, package.plan, package.option) == ("amis", "ent", "1y")
    assert package.description == order.lines[0].description
    assert (package.term_length, package.term_unit) == (1, "year")
    [billing] = page.billing
    assert billing.customer_id == "cus-3"
    assert billing.subscriber.unit_name == "Chi nhánh Số 3"
    assert billing.subscriber.email == "chinhanh3@company3.vn"
    assert billing.invoice.buyer == _BUYER_FOR_INVOICE
    assert not billing.invoice.same_as_subscriber
    assert world.snapshot() == before


def test_o6_a_line_stored_before_terms_were_frozen_shows_no_term(world: World) -> None:
    token = _placed(world)
    order = world.order(payment_link_view(world.deps, token).order.order_id)
    old = attrs.evolve(order, lines=tuple(attrs.evolve(li, grant=None, catalog_version="") for li in order.lines))
    [package] = PaymentLinkView.of(old).packages
    assert (package.plan, package.term_length, package.term_unit) == ("ent", None, None)


def test_o5_an_altered_or_expired_link_shows_nothing(world: World) -> None:
    token = _placed(world)
    payload, mac = token.split(".")
    with pytest.raises(ValidationError) as caught:
        payment_link_view(world.deps, f"{payload}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}")
    assert caught.value.rule == "O5"
    world.at(days=30)
    with pytest.raises(NotEligibleError):
        payment_link_view(world.deps, token)
