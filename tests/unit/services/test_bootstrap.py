"""The one place that wires adapters: bootstrap_memory."""

from __future__ import annotations

import pytest

from adapters.bootstrap import DEMO_PROVIDER, bootstrap_memory
from adapters.fakes import FakePaymentProvider
from subscription_core.errors import ValidationError
from subscription_core.payments import MethodKind
from subscription_core.services import NewPurchase, Services, place_order, start_payment

from .harness import BUYER, CATALOG, CONFIRMED, WALLET, WALLET_KEY, customer


def test_bootstrap_memory_with_defaults_runs_a_purchase() -> None:
    deps = bootstrap_memory(CATALOG)
    assert isinstance(deps, Services)
    assert set(deps.routes.values()) == {DEMO_PROVIDER}
    with deps.uow() as uow:
        uow.customers.add(customer(1, buyers={"u-1"}))
        uow.commit()
    order = place_order(
        deps, BUYER, NewPurchase(customer_id="cus-1", plan="std", option="1y"), CONFIRMED, idempotency_key="k"
    )
    started = start_payment(deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p")
    assert started.redirect_url is not None


def test_bootstrap_needs_routes_for_several_providers() -> None:
    providers = {"a": FakePaymentProvider("a", WALLET_KEY), "b": FakePaymentProvider("b", WALLET_KEY)}
    with pytest.raises(ValidationError) as caught:
        bootstrap_memory(CATALOG, providers=providers)
    assert caught.value.rule == "Y1"
    with pytest.raises(ValidationError):
        bootstrap_memory(CATALOG, providers=providers, routes={MethodKind.CASH: "c"})


def test_bootstrap_refuses_a_short_link_key() -> None:
    with pytest.raises(ValidationError) as caught:
        bootstrap_memory(CATALOG, link_key=b"short")
    assert "short" not in str(caught.value)


def test_services_settings_are_checked() -> None:
    with pytest.raises(ValidationError):
        bootstrap_memory(CATALOG, pay_within_days=0)
