"""A NotFoundError says whether the addressed resource or a reference inside the request is missing (404 vs 422)."""

from __future__ import annotations

import attrs
import pytest

from subscription_core.errors import NotFoundError
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.services import NewPurchase, Renewal, place_order, quote_order, start_payment

from .harness import BUYER, CONFIRMED, WALLET, World


def test_the_order_start_payment_addresses_is_the_missing_resource(world: World) -> None:
    with pytest.raises(NotFoundError) as caught:
        start_payment(world.deps, BUYER, order_id="ord-404", method=WALLET, idempotency_key="p-1")
    assert caught.value.field == "order_id"
    assert not caught.value.reference
    assert caught.value.as_dict()["reference"] is False


def test_y1_a_method_no_provider_takes_is_a_reference_inside_the_request(world: World) -> None:
    world.deps = attrs.evolve(world.deps, routes={MethodKind.E_WALLET: "vnptpay"})
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    with pytest.raises(NotFoundError) as caught:
        start_payment(world.deps, BUYER, order_id=order.id, method=PaymentMethod.cash(), idempotency_key="p-1")
    assert caught.value.rule == "Y1"
    assert caught.value.reference


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (NewPurchase(customer_id="cus-1", plan="gold", option="1y"), "plan"),
        (NewPurchase(customer_id="cus-1", plan="std", option="5y"), "option"),
        (NewPurchase(customer_id="cus-404", plan="std", option="1y"), "customer_id"),
        (Renewal(subscription_id="sub-404", option="1y"), "subscription_id"),
    ],
)
def test_o1_an_unknown_code_or_id_inside_an_order_request_is_a_reference(
    world: World, request_: NewPurchase | Renewal, field: str
) -> None:
    with pytest.raises(NotFoundError) as quoting:
        quote_order(world.deps, BUYER, request_)
    with pytest.raises(NotFoundError) as placing:
        place_order(world.deps, BUYER, request_, CONFIRMED, idempotency_key="k-1")
    for caught in (quoting, placing):
        assert caught.value.reference, caught.value
        assert caught.value.field == field
