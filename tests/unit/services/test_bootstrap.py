"""The one place that wires adapters: bootstrap_memory, and bootstrap_sql on a SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from subscription_core.errors import ValidationError
from subscription_core.payments import MethodKind
from subscription_core.services import (
    NewPurchase,
    NotificationStatus,
    Services,
    handle_notification,
    place_order,
    start_payment,
    subscription_details,
)
from subscription_core.subscriptions import State
from subscription_core_adapters.bootstrap import DEMO_PROVIDER, bootstrap_memory, bootstrap_sql
from subscription_core_adapters.fakes import FakePaymentProvider, RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds

from .harness import BUYER, CATALOG, CONFIRMED, LINK_KEY, T0, WALLET, WALLET_KEY, customer


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


def test_y2_y5_n2_i1_bootstrap_sql_runs_the_flows_on_sqlite(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    from subscription_core_adapters.einvoice import InvoiceSeries, Seller  # noqa: PLC0415 - beside the sql extra

    clock = ManualClock(T0)
    wallet = FakePaymentProvider("vnptpay", WALLET_KEY)
    seller = Seller(name="Công ty Cổ phần MISA", tax_code="0101243150", address="Hà Nội", email="hoadon@misa.com.vn")
    wired = bootstrap_sql(
        CATALOG,
        database=tmp_path / "subscriptions.db",
        providers={"vnptpay": wallet},
        seller=seller,
        series=InvoiceSeries("C26TAA"),
        notifier=RecordingNotifier(),
        link_key=LINK_KEY,
        clock=clock,
        ids=SequentialIds(),
    )
    deps = wired.services
    with deps.uow() as uow:
        uow.customers.add(customer(1, buyers={"u-1"}))
        uow.commit()
    order = place_order(
        deps, BUYER, NewPurchase(customer_id="cus-1", plan="std", option="1y"), CONFIRMED, idempotency_key="k"
    )
    assert (
        place_order(
            deps, BUYER, NewPurchase(customer_id="cus-1", plan="std", option="1y"), CONFIRMED, idempotency_key="k"
        )
        == order
    )
    start_payment(deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="p")
    payload = wallet.notify(order, event_id="evt-1")
    assert handle_notification(deps, "vnptpay", payload).status is NotificationStatus.APPLIED
    assert handle_notification(deps, "vnptpay", payload).status is NotificationStatus.ALREADY_PROCESSED
    (detail,) = subscription_details(deps, BUYER, "cus-1")
    assert detail.state is State.ACTIVE
    assert [(i.order_id, i.part, i.series, i.number) for i in detail.invoices] == [(order.id, 0, "1C26TAA", "00000001")]
    clock.set(T0 + dt.timedelta(days=370))
    assert wired.run_scheduler().advanced == (detail.id,)
    assert wired.run_scheduler().advanced == ()
    assert wired.relay_outbox().sent > 0
    wired.dispose()


def test_o8_bootstrap_takes_the_payment_reminder_lead_times() -> None:
    assert bootstrap_memory(CATALOG).payment_reminder_days == (3, 1)
    assert bootstrap_memory(CATALOG, payment_reminder_days=[1, 7]).payment_reminder_days == (7, 1)
    with pytest.raises(ValidationError) as caught:
        bootstrap_memory(CATALOG, payment_reminder_days=[0])
    assert caught.value.rule == "O8"


def test_i1_bootstrap_sql_takes_the_reference_issuers_format_version(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    from subscription_core_adapters.einvoice import FormatVersion, InvoiceSeries, Seller  # noqa: PLC0415

    seller = Seller(name="Công ty Cổ phần MISA", tax_code="0101243150", address="Hà Nội", email="hoadon@misa.com.vn")
    settings = {
        "providers": {"vnptpay": FakePaymentProvider("vnptpay", WALLET_KEY)},
        "notifier": RecordingNotifier(),
        "link_key": LINK_KEY,
        "clock": ManualClock(T0),
    }
    wired = bootstrap_sql(
        CATALOG,
        database=tmp_path / "older.db",
        seller=seller,
        series=InvoiceSeries("C26TAA"),
        invoice_format="2.0.0",
        **settings,  # type: ignore[arg-type]
    )
    assert getattr(wired.invoices, "format_version", None) is FormatVersion.V2_0_0
    wired.dispose()
    with pytest.raises(ValidationError) as unknown:
        bootstrap_sql(
            CATALOG,
            database=tmp_path / "unknown.db",
            seller=seller,
            series=InvoiceSeries("C26TAA"),
            invoice_format="3.0",
            **settings,  # type: ignore[arg-type]
        )
    assert "supported: 2.0.0, 2.1.0" in unknown.value.message
    assert not (tmp_path / "unknown.db").exists()  # refused before a database was made
    with pytest.raises(ValidationError) as beside:
        bootstrap_sql(
            CATALOG,
            database=tmp_path / "beside.db",
            invoices=wired.invoices,
            invoice_format="2.0.0",
            **settings,  # type: ignore[arg-type]
        )
    assert beside.value.field == "invoice_format"
