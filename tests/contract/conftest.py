"""Fixtures that hand each contract suite its adapter, once per adapter registered in :mod:`contract.registry`."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from subscription_core.errors import SubscriptionError
from subscription_core.ports import Clock, IdGenerator, InvoiceIssuer, PaymentProvider, UnitOfWorkFactory
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine, sqlite_engine, upgrade

from . import harness_banking, harness_einvoice, harness_nganluong, harness_smtp, harness_vnpay
from .registry import (
    CLOCKS,
    ID_GENERATORS,
    INVOICE_CORRECTORS,
    INVOICE_ISSUERS,
    NOTIFIERS,
    PAYMENT_PROVIDERS,
    REFUND_GATEWAYS,
    UNITS_OF_WORK,
    CorrectingIssuer,
    NotifierHarness,
    Notify,
    ProviderHarness,
    RefundGatewayHarness,
)


# The SQL adapter (tests/integration/sql has its own tests): SQLite in a fresh file, PostgreSQL in a fresh schema
# per test, from SUBSCRIPTION_CORE_PG_DSN (skipped when unset or unreachable, failed instead when CI=true).
@contextlib.contextmanager
def sqlite_units() -> Iterator[UnitOfWorkFactory]:
    with tempfile.TemporaryDirectory() as folder:
        engine = sqlite_engine(Path(folder) / "store.db")
        try:
            yield SqlUnitOfWorkFactory(engine)
        finally:
            engine.dispose()


@contextlib.contextmanager
def postgresql_units() -> Iterator[UnitOfWorkFactory]:
    unavailable = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
    dsn = os.environ.get("SUBSCRIPTION_CORE_PG_DSN") or unavailable("SUBSCRIPTION_CORE_PG_DSN is not set")
    schema = f"test_{secrets.token_hex(6)}"
    engine = postgres_engine(dsn, schema=schema)
    try:
        upgrade(engine)  # creates the schema
    except SubscriptionError as exc:
        engine.dispose()
        unavailable(f"PostgreSQL at SUBSCRIPTION_CORE_PG_DSN is unreachable: {exc}")
    try:
        yield SqlUnitOfWorkFactory(engine)
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


UNITS_OF_WORK.update(sqlite=sqlite_units, postgresql=postgresql_units)
# The protocol adapters register in their own modules (one file per adapter family).
PAYMENT_PROVIDERS.update(
    harness_vnpay.PAYMENT_PROVIDERS, **harness_banking.PAYMENT_PROVIDERS, **harness_nganluong.PAYMENT_PROVIDERS
)
NOTIFIERS.update(harness_smtp.NOTIFIERS)
INVOICE_ISSUERS.update(harness_einvoice.INVOICE_ISSUERS)
INVOICE_CORRECTORS.update(harness_einvoice.INVOICE_CORRECTORS)
REFUND_GATEWAYS.update(harness_vnpay.REFUND_GATEWAYS)


@pytest.fixture(params=sorted(UNITS_OF_WORK))
def units(request: pytest.FixtureRequest) -> Iterator[UnitOfWorkFactory]:
    """A unit-of-work factory over a fresh, empty store of each repository adapter."""
    with UNITS_OF_WORK[request.param]() as factory:
        yield factory


@pytest.fixture(params=sorted(PAYMENT_PROVIDERS))
def payment_provider(request: pytest.FixtureRequest) -> ProviderHarness:
    """Each payment provider adapter."""
    return PAYMENT_PROVIDERS[request.param]()


@dataclasses.dataclass(frozen=True)
class SigningProvider:
    """A provider that receives signed notifications, with ``notify`` to make them."""

    harness: ProviderHarness
    notify: Notify

    @property
    def provider(self) -> PaymentProvider:
        """The provider under test."""
        return self.harness.provider

    @property
    def secret(self) -> bytes:
        """Its signing key."""
        return self.harness.secret

    @property
    def signature_field(self) -> str:
        """The payload field that carries the signature."""
        return self.harness.signature_field


@pytest.fixture(params=sorted(name for name, make in PAYMENT_PROVIDERS.items() if make().notify is not None))
def signing_provider(request: pytest.FixtureRequest) -> SigningProvider:
    """Each payment provider adapter that receives signed notifications, with a way to sign them."""
    harness = PAYMENT_PROVIDERS[request.param]()
    assert harness.notify is not None
    return SigningProvider(harness=harness, notify=harness.notify)


@pytest.fixture(params=sorted(NOTIFIERS))
def notifier(request: pytest.FixtureRequest) -> NotifierHarness:
    """Each notifier adapter, with what it delivered."""
    return NOTIFIERS[request.param]()


@pytest.fixture(params=sorted(INVOICE_ISSUERS))
def invoice_issuer(request: pytest.FixtureRequest) -> InvoiceIssuer:
    """Each invoice issuer adapter, with nothing issued yet."""
    return INVOICE_ISSUERS[request.param]()


@pytest.fixture(params=sorted(INVOICE_CORRECTORS))
def invoice_corrector(request: pytest.FixtureRequest) -> Iterator[CorrectingIssuer]:
    """Each issuer that corrects invoices (Y8), with nothing issued yet."""
    with INVOICE_CORRECTORS[request.param]() as corrector:
        yield corrector


@pytest.fixture(params=sorted(CLOCKS))
def clock(request: pytest.FixtureRequest) -> Clock:
    """Each clock adapter."""
    return CLOCKS[request.param]()


@pytest.fixture(params=sorted(ID_GENERATORS))
def ids(request: pytest.FixtureRequest) -> IdGenerator:
    """Each id generator adapter, fresh."""
    return ID_GENERATORS[request.param]()


@pytest.fixture
def eager_thread_switching() -> Iterator[None]:
    """Let threads take turns every microsecond, so that racing units of work interleave mid-way.

    With CPython's default switch interval (5 ms) an in-process adapter would run each thread's unit of
    work whole, and the races a test is about would never happen.
    """
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.fixture(params=sorted(REFUND_GATEWAYS))
def refund_gateway(request: pytest.FixtureRequest) -> Iterator[RefundGatewayHarness]:
    """Each provider refund API, its provider knowing no payment yet."""
    with REFUND_GATEWAYS[request.param]() as harness:
        yield harness
