"""Wiring checked when ``Services`` is built: each provider under its own name, each route to a kind it takes (Y1)."""

from __future__ import annotations

import attrs
import pytest

from subscription_core.errors import ValidationError
from subscription_core.payments import MethodKind
from subscription_core.ports import PaymentProvider
from subscription_core_adapters.banking import BankTransferProvider
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider
from subscription_core_adapters.gateways.vnpay import VnpayConfig, VnpayProvider

from .harness import BANK_KEY, CATALOG, WALLET_KEY, World

VNPAY = VnpayProvider(VnpayConfig(tmn_code="DEMO2026", hash_secret=WALLET_KEY, return_url="https://shop.example/paid"))
BANK = BankTransferProvider(bank="VCB", account="0011004123456", account_name="CONG TY CP PHAN MEM AMIS")


def test_y1_a_provider_registered_under_another_name_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        bootstrap_memory(CATALOG, providers={"vnpay": FakePaymentProvider("bank", BANK_KEY)})
    assert (caught.value.rule, caught.value.field) == ("Y1", "providers")
    assert "'bank'" in str(caught.value)
    assert "'vnpay'" in str(caught.value)


def test_y1_a_route_to_a_provider_that_does_not_take_the_kind_is_refused() -> None:
    providers: dict[str, PaymentProvider] = {VNPAY.name: VNPAY, BANK.name: BANK}
    with pytest.raises(ValidationError) as caught:
        bootstrap_memory(CATALOG, providers=providers, routes={MethodKind.BANK_TRANSFER: VNPAY.name})
    assert (caught.value.rule, caught.value.field, caught.value.value) == ("Y1", "routes", "bank_transfer")
    assert VNPAY.name in str(caught.value)


def test_y1_the_check_runs_again_when_services_are_changed() -> None:
    world = World.make()
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(world.deps, routes={MethodKind.CASH: "vnptpay"})  # the harness's wallet takes no cash
    assert caught.value.value == "cash"


def test_y1_a_lone_provider_is_routed_the_kinds_it_takes_only() -> None:
    deps = bootstrap_memory(CATALOG, providers={BANK.name: BANK})
    assert dict(deps.routes) == {MethodKind.BANK_TRANSFER: BANK.name}
    deps = bootstrap_memory(CATALOG, providers={VNPAY.name: VNPAY})
    assert dict(deps.routes) == {MethodKind.DOMESTIC_CARD: "vnpay", MethodKind.INTERNATIONAL_CARD: "vnpay"}


def test_y1_the_adapters_declare_the_kinds_they_take() -> None:
    assert VNPAY.methods == frozenset({MethodKind.DOMESTIC_CARD, MethodKind.INTERNATIONAL_CARD})
    assert BANK.methods == frozenset({MethodKind.BANK_TRANSFER})
    fake = FakePaymentProvider("cashier", BANK_KEY, methods=[MethodKind.CASH])
    assert fake.methods == frozenset({MethodKind.CASH})
    assert FakePaymentProvider("any", BANK_KEY).methods == frozenset(MethodKind)


def test_y1_a_provider_that_declares_no_kinds_is_refused() -> None:
    class Bare:
        name = "bare"

        def start(self, request: object) -> object:
            raise NotImplementedError

        def parse_notification(self, payload: object, *, received_at: object) -> object:
            raise NotImplementedError

    with pytest.raises(ValidationError) as caught:
        bootstrap_memory(CATALOG, providers={"bare": Bare()}, routes={MethodKind.CASH: "bare"})  # type: ignore[dict-item]
    assert (caught.value.rule, caught.value.field) == ("Y1", "providers")
    assert "methods" in str(caught.value)
