"""What the application services need from the world: one frozen :class:`Services` value.

A host builds it once (``subscription_core_adapters.bootstrap`` does, for the in-memory adapters) and passes it as the
first argument of every use case. It holds ports and settings only; it opens nothing and holds no state
of its own, so two hosts (or two tests) never share anything through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from subscription_core.calendar import BusinessCalendar, ensure_aware
from subscription_core.catalog import Catalog
from subscription_core.customers import ServiceAccountant
from subscription_core.errors import NotEligibleError, NotFoundError, ValidationError, of_type
from subscription_core.limits import within_dates
from subscription_core.payment_deadlines import DEFAULT_REMINDER_DAYS, check_reminder_days
from subscription_core.payments import MethodKind, PaymentLinkSigner, PaymentMethod
from subscription_core.ports import (
    Clock,
    IdGenerator,
    InvoiceIssuer,
    Notifier,
    PaymentProvider,
    PaymentStatusQuery,
    RefundGateway,
    UnitOfWorkFactory,
)

__all__ = ["Services"]


def _days(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError("must be a whole number of days >= 1", field=attribute.name, value=value)


def _mapping(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise ValidationError("must be a mapping", field=attribute.name, value=type(value).__name__)


def _reminder_days(value: object) -> tuple[int, ...]:
    return check_reminder_days(value, field="payment_reminder_days")


def _check_provider(name: object, provider: object) -> None:
    """A provider registered as ``name`` must be named so and say which method kinds it takes (Y1)."""
    own = getattr(provider, "name", None)
    if own != name:
        # Payments record the provider's own name, and notifications are routed back by it.
        raise ValidationError(
            f"registers the provider named {own!r} as {name!r}: register it under its own name",
            rule="Y1",
            field="providers",
            value=name,
        )
    methods = getattr(provider, "methods", None)
    if not isinstance(methods, frozenset) or not all(isinstance(kind, MethodKind) for kind in methods):
        raise ValidationError(
            f"provider {name!r} must declare the method kinds it takes (methods: a frozenset of MethodKind)",
            rule="Y1",
            field="providers",
            value=name,
        )


@attrs.frozen(kw_only=True, repr=False)
class Services:
    """The ports and settings every use case takes as its first argument (``deps``).

    ``providers`` are the payment providers by name; ``routes`` says which provider takes each method kind
    (Y1), including the offline ones whose provider gives the transfer instructions (Y3). ``accountants``
    are the service accountants known to the host (A3, B3), by id. ``links`` signs payment links (O5).
    ``pay_within_days`` is how long a placed order awaits payment at most (O4, O8);
    ``payment_reminder_days`` the lead times, in days before its deadline, of its payment reminders (O8:
    3 and 1 by default, none when empty); ``link_valid_days`` how long a payment link works at most.
    ``notifier`` is used only by :func:`relay_outbox`. ``pause``, when set, is called with the attempt
    number before a use case that lost a race runs again (a host's backoff: a short, jittered sleep lets
    the winner commit; the core itself never sleeps). ``refund_gateways`` are the providers' refund APIs by
    provider name (Y8): money a provider took is refunded through the one registered under its name.
    ``status_queries`` are the providers' payment queries by provider name (Y5, Y6): the scheduler asks
    them about payments left started past their order's deadline before lapsing the order.
    ``invoices`` should also correct invoices (a :class:`~subscription_core.ports.CorrectingIssuer`, as both
    shipped issuers are): a refund of an invoiced order asks it for the adjusting invoice (Y8); an issuer
    that cannot is accepted, and each such decrease then waits with a logged warning.

    ``repr`` names the providers and never shows a provider's or the link signer's keys.

    Raises:
        ValidationError: (Y1) a provider registered under a name other than its own or declaring no
            ``methods``, a route to a provider that is not registered or does not take the route's kind;
            a setting out of range; (Y8) a refund API registered under a name other than its own; (Y5) a
            payment query registered under a name other than its own or of no registered provider.
    """

    uow: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator
    catalog: Catalog = attrs.field(validator=of_type(Catalog))
    calendar: BusinessCalendar = attrs.field(validator=of_type(BusinessCalendar))
    providers: Mapping[str, PaymentProvider] = attrs.field(validator=_mapping)
    routes: Mapping[MethodKind, str] = attrs.field(validator=_mapping)
    invoices: InvoiceIssuer
    links: PaymentLinkSigner = attrs.field(validator=of_type(PaymentLinkSigner))
    notifier: Notifier | None = None
    accountants: Mapping[str, ServiceAccountant] = attrs.field(factory=dict, validator=_mapping)
    pay_within_days: int = attrs.field(default=7, validator=_days)
    payment_reminder_days: tuple[int, ...] = attrs.field(default=DEFAULT_REMINDER_DAYS, converter=_reminder_days)
    link_valid_days: int = attrs.field(default=7, validator=_days)
    pause: Callable[[int], None] | None = None
    refund_gateways: Mapping[str, RefundGateway] = attrs.field(factory=dict, validator=_mapping)
    status_queries: Mapping[str, PaymentStatusQuery] = attrs.field(factory=dict, validator=_mapping)

    def __attrs_post_init__(self) -> None:
        """Check the wiring (Y1): each provider under its own name, each route to a provider taking its kind."""
        for name, provider in self.providers.items():
            _check_provider(name, provider)
        for name, gateway in self.refund_gateways.items():
            if getattr(gateway, "name", None) != name:
                # A refund is routed by the name of the provider that took the money (Y8).
                raise ValidationError(
                    "registers a refund API under a name other than its own",
                    rule="Y8",
                    field="refund_gateways",
                    value=name,
                )
        for name, query in self.status_queries.items():
            if getattr(query, "name", None) != name or name not in self.providers:
                # A started payment is asked about through the provider it was routed to (Y5).
                message = "registers a payment query under a name other than its own, or of no provider"
                raise ValidationError(message, rule="Y5", field="status_queries", value=name)
        for kind, name in self.routes.items():
            if not isinstance(kind, MethodKind):
                raise ValidationError("routes are keyed by MethodKind", rule="Y1", field="routes", value=kind)
            if name not in self.providers:
                raise ValidationError(
                    "routes to a provider that is not registered", rule="Y1", field="routes", value=name
                )
            if kind not in self.providers[name].methods:
                raise ValidationError(
                    f"routes this kind to {name!r}, which does not take it", rule="Y1", field="routes", value=kind.value
                )

    def __repr__(self) -> str:
        """Name the providers and routes only; keys and credentials stay hidden."""
        routes = ", ".join(f"{k.value}->{v}" for k, v in sorted(self.routes.items(), key=lambda kv: kv[0].value))
        return f"Services(providers={sorted(self.providers)}, routes=[{routes}])"

    def now(self) -> dt.datetime:
        """The clock's instant in UTC.

        Raises:
            ValidationError: (D2) the clock gave a naive datetime, or one outside the dates of
                :mod:`subscription_core.limits` (so no date computed from it can overflow).
        """
        return within_dates(ensure_aware(self.clock.now(), field="clock"), field="clock", rule="D2").astimezone(dt.UTC)

    def provider_for(self, method: PaymentMethod) -> tuple[str, PaymentProvider]:
        """The name and port of the provider registered for ``method``'s kind (Y1).

        Raises:
            ValidationError: ``method`` is not a :class:`PaymentMethod`.
            NotFoundError: (Y1, a ``reference``) no provider takes that kind of method.
        """
        if not isinstance(method, PaymentMethod):
            raise ValidationError("must be a PaymentMethod", rule="Y1", field="method", value=method)
        name = self.routes.get(method.kind)
        if name is None:
            raise NotFoundError(  # the method is named inside the request
                "no payment provider takes this method",
                reference=True,
                rule="Y1",
                field="method",
                value=method.kind.value,
            )
        return name, self.providers[name]

    def provider(self, name: str) -> PaymentProvider:
        """The provider registered as ``name``.

        Raises:
            NotFoundError: (Y5) no provider has that name.
        """
        provider = self.providers.get(name) if isinstance(name, str) else None
        if provider is None:
            raise NotFoundError("no such payment provider", rule="Y5", field="provider", value=name)
        return provider

    def refund_gateway(self, name: str) -> RefundGateway:
        """The refund API of the provider ``name`` (Y8).

        Raises:
            NotEligibleError: (Y8) no refund API is registered for it: staff refund by bank transfer instead.
        """
        gateway = self.refund_gateways.get(name) if isinstance(name, str) else None
        if gateway is None:
            raise NotEligibleError(
                "no refund API is registered for this provider: record a bank-transfer refund instead",
                rule="Y8",
                field="provider",
                value=name,
            )
        return gateway

    def accountant(self, accountant_id: str) -> ServiceAccountant:
        """The service accountant ``accountant_id`` (A3, B3).

        Raises:
            NotFoundError: (A3) the host knows no such accountant.
        """
        found = self.accountants.get(accountant_id)
        if found is None:
            raise NotFoundError("no such service accountant", rule="A3", field="actor", value=accountant_id)
        return found
