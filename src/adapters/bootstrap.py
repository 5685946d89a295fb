"""The one place that chooses adapters and wires them into the application services.

Nothing here runs at import time: each bootstrap function imports its adapters when called, builds them,
and returns a :class:`~subscription_core.services.Services` for the use cases. A host calls one of them
once at start-up (with its real keys and clock) and keeps the result.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

from subscription_core.calendar import BusinessCalendar
from subscription_core.catalog import Catalog
from subscription_core.customers import ServiceAccountant
from subscription_core.errors import ValidationError
from subscription_core.payments import MethodKind, PaymentLinkSigner
from subscription_core.ports import Clock, IdGenerator, InvoiceIssuer, Notifier, PaymentProvider, UnitOfWorkFactory
from subscription_core.services import Services

if TYPE_CHECKING:
    from adapters.memory import MemoryUnitOfWorkFactory

__all__ = ["DEMO_PROVIDER", "bootstrap_memory"]

DEMO_PROVIDER = "fakepay"
"""The name of the fake payment provider :func:`bootstrap_memory` registers when given none."""
_KEY_BYTES = 32


def bootstrap_memory(
    catalog: Catalog,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    uow: MemoryUnitOfWorkFactory | UnitOfWorkFactory | None = None,
    calendar: BusinessCalendar | None = None,
    providers: Mapping[str, PaymentProvider] | None = None,
    routes: Mapping[MethodKind, str] | None = None,
    invoices: InvoiceIssuer | None = None,
    notifier: Notifier | None = None,
    link_key: bytes | None = None,
    accountants: Mapping[str, ServiceAccountant] | None = None,
    pay_within_days: int = 7,
    link_valid_days: int = 7,
) -> Services:
    """Wire the services on the in-memory adapters, with fakes for the outside world unless given real ones.

    Defaults: the system clock, random ids, a fresh in-memory store, the Vietnamese business calendar, one
    fake payment provider (:data:`DEMO_PROVIDER`, with a random key) taking every method, an in-memory
    invoice issuer, a recording notifier, a random payment-link key. ``routes`` defaults to every method
    kind to the one provider when there is exactly one.

    Raises:
        ValidationError: no routes given for several providers, a route to an unknown provider, or a link
            key shorter than 32 bytes (the key is never shown).
    """
    from adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier  # noqa: PLC0415 - lazy
    from adapters.local import RandomIds, SystemClock  # noqa: PLC0415 - wired only when asked for
    from adapters.memory import MemoryUnitOfWorkFactory  # noqa: PLC0415 - wired only when asked for

    the_clock = clock if clock is not None else SystemClock()
    if providers is None:
        providers = {DEMO_PROVIDER: FakePaymentProvider(DEMO_PROVIDER, secrets.token_bytes(_KEY_BYTES))}
    if routes is None:
        if len(providers) != 1:
            raise ValidationError("say which provider takes each method", rule="Y1", field="routes")
        routes = dict.fromkeys(MethodKind, next(iter(providers)))
    return Services(
        uow=uow if uow is not None else MemoryUnitOfWorkFactory(),
        clock=the_clock,
        ids=ids if ids is not None else RandomIds(),
        catalog=catalog,
        calendar=calendar if calendar is not None else BusinessCalendar(),
        providers=dict(providers),
        routes=dict(routes),
        invoices=invoices if invoices is not None else MemoryInvoiceIssuer(clock=the_clock),
        links=PaymentLinkSigner(key=link_key if link_key is not None else secrets.token_bytes(_KEY_BYTES)),
        notifier=notifier if notifier is not None else RecordingNotifier(),
        accountants=dict(accountants or {}),
        pay_within_days=pay_within_days,
        link_valid_days=link_valid_days,
    )
