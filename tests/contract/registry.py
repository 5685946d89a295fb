"""Which adapters the contract suites run on: one registry per port, one entry per adapter.

Every suite takes its adapter from a fixture of ``conftest.py`` parametrized over these registries, so a
new adapter runs every contract test through one entry in a registry, and no new test. An entry of
:data:`UNITS_OF_WORK` is a context-manager function that yields a ``UnitOfWorkFactory`` over a fresh,
empty store and cleans up when the test ends; it may call ``pytest.skip`` when its server is not
reachable. Register one with ``UNITS_OF_WORK.update(name=factory)``: the SQL adapter's entries
(``sqlite``, ``postgresql``) are registered that way in ``conftest.py``, next to their set-up.

The tests never open two units of work in one thread that write the same row or unique key while both
are open (a database would block the second on the first's lock); such interleavings run on threads. They
do keep a unit open that has only read while another commits in the same thread (isolation, lost races),
so an adapter must not take a write lock when a unit begins or reads (SQLite: WAL and deferred
transactions, not ``BEGIN IMMEDIATE``); a write after the other's commit must fail with ``ConflictError``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Protocol

import attrs

from subscription_core.orders import Order
from subscription_core.payments import MethodKind
from subscription_core.ports import (
    Clock,
    IdGenerator,
    InvoiceCorrector,
    InvoiceIssuer,
    Notifier,
    PaymentProvider,
    RefundGateway,
    UnitOfWorkFactory,
)
from subscription_core_adapters.fakes import (
    FakePaymentProvider,
    FakeRefundGateway,
    MemoryInvoiceIssuer,
    RecordingNotifier,
)
from subscription_core_adapters.local import ManualClock, RandomIds, SequentialIds, SystemClock
from subscription_core_adapters.memory import MemoryUnitOfWorkFactory

__all__ = [
    "CLOCKS",
    "ID_GENERATORS",
    "INVOICE_CORRECTORS",
    "INVOICE_ISSUERS",
    "NOTIFIERS",
    "PAYMENT_PROVIDERS",
    "REFUND_GATEWAYS",
    "UNITS_OF_WORK",
    "NotifierHarness",
    "ProviderHarness",
    "RefundGatewayHarness",
]


@contextlib.contextmanager
def memory_units() -> Iterator[UnitOfWorkFactory]:
    """Units of work over a new in-memory store."""
    yield MemoryUnitOfWorkFactory()


UNITS_OF_WORK: dict[str, Callable[[], AbstractContextManager[UnitOfWorkFactory]]] = {"memory": memory_units}
"""The repository adapters: a unit-of-work factory over a fresh store, per test."""


class Notify(Protocol):
    """Signs a notification about ``order`` as the provider would POST it."""

    def __call__(
        self, order: Order, *, event_id: str, succeeded: bool = True, amount: Decimal | None = None
    ) -> dict[str, str]:
        """Return the payload."""
        ...


def _order_id_itself(order_id: str) -> str:
    return order_id


@attrs.frozen(kw_only=True)
class ProviderHarness:
    """A payment provider under test, a way to make the notifications it would receive, and its secret.

    ``notify`` is ``None`` for a provider that receives no signed notifications (a bank whose money is
    found on its statements): the notification suites run only on the others. ``methods`` are the method
    kinds it takes; ``wallet`` the e-wallet code it takes when it takes e-wallets; ``transfer_content`` gives
    the text an order's transfer instructions must carry.

    ``confirms_with_provider`` is ``True`` for a provider whose notifications carry no signature of their
    facts, only a reference the adapter confirms with the provider's server (NgânLượng's token): there the
    reference plays the signature, and a notification naming another genuine event of the provider reads
    as that event, with the provider's amount, instead of being refused.
    """

    provider: PaymentProvider
    notify: Notify | None
    secret: bytes  # must never show in a repr or an error
    signature_field: str  # the payload field that carries the signature
    methods: frozenset[MethodKind] = frozenset(MethodKind)
    transfer_content: Callable[[str], str] = _order_id_itself
    wallet: str = "VNPTPAY"
    confirms_with_provider: bool = False


FAKE_KEY = bytes(range(100, 132))


def fake_provider() -> ProviderHarness:
    """The fake gateway, which signs its own notifications."""
    fake = FakePaymentProvider("vnpay", FAKE_KEY)
    return ProviderHarness(provider=fake, notify=fake.notify, secret=FAKE_KEY, signature_field="signature")


PAYMENT_PROVIDERS: dict[str, Callable[[], ProviderHarness]] = {"fake": fake_provider}


@attrs.frozen
class NotifierHarness:
    """A notifier under test, what it delivered (message ids, in order) and how to make its next sends fail."""

    notifier: Notifier
    delivered: Callable[[], list[str]]
    fail_next: Callable[[int], None]


def recording_notifier() -> NotifierHarness:
    """The recording notifier."""
    notifier = RecordingNotifier()
    return NotifierHarness(
        notifier=notifier, delivered=lambda: [m.id for m in notifier.sent], fail_next=notifier.fail_next
    )


NOTIFIERS: dict[str, Callable[[], NotifierHarness]] = {"recording": recording_notifier}

INVOICE_ISSUERS: dict[str, Callable[[], InvoiceIssuer]] = {"memory": MemoryInvoiceIssuer}


class CorrectingIssuer(InvoiceIssuer, InvoiceCorrector, Protocol):
    """An invoice issuer that also corrects what it issued (Y8)."""


@contextlib.contextmanager
def memory_corrector() -> Iterator[CorrectingIssuer]:
    """The fake issuer, nothing issued yet."""
    yield MemoryInvoiceIssuer()


INVOICE_CORRECTORS: dict[str, Callable[[], AbstractContextManager[CorrectingIssuer]]] = {"memory": memory_corrector}
"""The issuers that correct invoices (Y8): a context manager yielding one over a fresh store, per test."""

CLOCKS: dict[str, Callable[[], Clock]] = {
    "manual": lambda: ManualClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))),
    "system": SystemClock,
}

ID_GENERATORS: dict[str, Callable[[], IdGenerator]] = {"sequential": SequentialIds, "random": RandomIds}


@attrs.frozen
class RefundGatewayHarness:
    """A provider refund API under test, and how to make its provider know a payment it took (Y8).

    ``knows(name, amount)`` makes the provider's side hold a payment of ``amount`` that the contract calls
    ``name`` (a fake learns it; a real client's local server stores it), so that it can be refunded;
    ``reference(name)`` is that payment's reference as the provider's notifications give it (what the
    library stores as the payment's reference), for a payment known or not.
    """

    gateway: RefundGateway
    knows: Callable[[str, Decimal], None]
    reference: Callable[[str], str] = str


@contextlib.contextmanager
def fake_refund_gateway() -> Iterator[RefundGatewayHarness]:
    """The fake refund API."""
    fake = FakeRefundGateway("vnpay")
    yield RefundGatewayHarness(gateway=fake, knows=fake.knows)


REFUND_GATEWAYS: dict[str, Callable[[], AbstractContextManager[RefundGatewayHarness]]] = {"fake": fake_refund_gateway}
"""The provider refund APIs (the ``RefundGateway`` port), each a context manager that cleans up after the test;
register a real client's harness here (``conftest.py`` adds VNPay's, on a local fake VNPay)."""
