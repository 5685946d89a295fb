"""The same NgânLượng return delivered by twenty racing threads applies once, on SQLite and PostgreSQL (Y5).

Each thread runs the host's return route (``answer_return``): it asks the stand-in ``GetTransactionDetail``
and applies the notification through the SQL unit of work. The payments repository's unique key on the
provider's event lets one thread record it; every other is told it was processed already. PostgreSQL is
skipped when ``SUBSCRIPTION_CORE_PG_DSN`` is unset, as in the contract suites.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from tests.contract.conftest import postgresql_units, sqlite_units
from tests.contract.racing import race

from subscription_core.payments import PaymentState
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.services import NotificationStatus
from subscription_core_adapters.fakes.nganluong_sandbox import NganLuongSandbox
from subscription_core_adapters.gateways import NganLuongOutcome

from .nganluong_shop import MERCHANT_ID, PASSWORD, RECEIVER, NlShop

THREADS = 20
STORES = {"sqlite": sqlite_units, "postgresql": postgresql_units}


@pytest.fixture(params=sorted(STORES))
def units_name(request: pytest.FixtureRequest) -> str:
    """The store's name."""
    return str(request.param)


@pytest.fixture
def units(units_name: str) -> Iterator[UnitOfWorkFactory]:
    """A SQL unit-of-work factory over a fresh store (a fresh PostgreSQL schema per test)."""
    with STORES[units_name]() as factory:
        yield factory


@pytest.fixture
def sandbox() -> Iterator[NganLuongSandbox]:
    """NgânLượng's stand-in on 127.0.0.1."""
    with NganLuongSandbox(merchant_id=MERCHANT_ID, password=PASSWORD, receiver_email=RECEIVER) as running:
        yield running


def test_y5_the_same_return_from_twenty_racing_threads_applies_once(
    units_name: str, units: UnitOfWorkFactory, sandbox: NganLuongSandbox
) -> None:
    shop = NlShop.make(sandbox, units)
    order = shop.place()
    started = shop.start(order)
    assert started.provider_ref is not None
    sandbox.pay(started.provider_ref)
    query = sandbox.return_query(started.provider_ref)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns mid-way through their units of work
    try:
        pages = race(THREADS, lambda _i: shop.back(started, query))
    finally:
        sys.setswitchinterval(interval)
    applied = [page for page in pages if page.status is NotificationStatus.APPLIED]
    assert len(applied) == 1
    others = {(page.outcome, page.status) for page in pages if page not in applied}
    if units_name == "postgresql":
        assert others == {(NganLuongOutcome.SUCCEEDED, NotificationStatus.ALREADY_PROCESSED)}
    else:
        # SQLite takes one writer at a time: a thread whose retries all met a lock is told to come back later,
        # with nothing recorded (the buyer's page reloads); none records the event twice.
        assert others <= {
            (NganLuongOutcome.SUCCEEDED, NotificationStatus.ALREADY_PROCESSED),
            (NganLuongOutcome.PENDING, None),
        }
    assert [p.state for p in shop.payments(order.id)] == [PaymentState.SUCCEEDED]
    assert not shop.order(order.id).awaiting_payment
    assert shop.back(started).status is NotificationStatus.ALREADY_PROCESSED
