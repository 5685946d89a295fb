"""The provider ports: payment providers, notifiers and e-invoice issuers, with what they are asked.

Re-exported by :mod:`subscription_core.ports`. Adapters satisfy them without inheriting from them and never
raise a driver's or a transport's error (see each protocol for what a failure looks like).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Protocol

import attrs

from subscription_core.customers import Contact
from subscription_core.invoice_corrections import (
    CorrectedInvoice,
    InvoiceAdjustment,
    InvoiceReplacement,
    IssuedCorrection,
)
from subscription_core.invoices import InvoiceRequest, IssuedInvoice
from subscription_core.notices import OutboxMessage
from subscription_core.payments import MethodKind, PaymentMethod, ProviderNotification

__all__ = [
    "CorrectingIssuer",
    "InvoiceCorrector",
    "InvoiceIssuer",
    "Notifier",
    "PaymentProvider",
    "PaymentRequest",
    "PaymentStart",
]


@attrs.frozen(kw_only=True)
class PaymentRequest:
    """What a payment provider needs to start a payment (Y1, Y2, Y3).

    ``buyer`` is who the order's notices go to (the order's ``notify`` contact: a name, an e-mail, perhaps a
    phone), for a provider whose page asks for the buyer (NgânLượng); personal data, so no ``repr`` shows it.
    """

    payment_id: str
    order_id: str
    amount: str  # the order's grand total as a decimal text in its currency (never a float)
    currency: str
    method: PaymentMethod
    description: str
    return_url: str = ""
    # When the library started the payment (``Payment.started_at``): a provider that looks a payment up by
    # the date its page was made (VNPay's ``vnp_CreateDate``, needed by its refund and query) dates it so.
    started_at: dt.datetime | None = None
    buyer: Contact | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class PaymentStart:
    """How the buyer goes on: a provider page to redirect to (online), or instructions (offline).

    ``instructions`` are for a bank transfer or cash, under the keys ``account``, ``amount`` and
    ``transfer_content`` at least, plus a QR payload where the adapter makes one (Y3).
    """

    redirect_url: str | None = None
    instructions: Mapping[str, str] = attrs.field(factory=dict)
    provider_ref: str | None = None


class PaymentProvider(Protocol):
    """A payment gateway, bank or cash desk (Y1-Y5).

    ``name`` is the name it is registered and routed under; ``methods`` the method kinds it takes. Both are
    checked when the services are built (Y1): a provider registered under another name, or routed a kind
    it does not take, is refused then rather than at payment time.
    """

    name: str

    @property
    def methods(self) -> frozenset[MethodKind]:
        """The method kinds :meth:`start` takes (Y1); never changes."""
        ...

    def start(self, request: PaymentRequest) -> PaymentStart:
        """Start a payment; never moves money by itself. Raises ``ValidationError`` for a method it does not take."""
        ...

    def parse_notification(self, payload: Mapping[str, str], *, received_at: dt.datetime) -> ProviderNotification:
        """Verify a notification's signature (in constant time) and read it.

        Raises ``ValidationError`` (rule Y5) for a bad or missing signature or a malformed payload; the
        error never contains the signing key.
        """
        ...


class Notifier(Protocol):
    """Delivers one outbox message by e-mail or in-app (N1)."""

    def send(self, message: OutboxMessage) -> None:
        """Deliver it, or raise. A repeat of the same message id may be delivered again (at least once).

        A failure should be a :class:`~subscription_core.errors.DeliveryError` naming the message id and no
        address; ``permanent=True`` when retrying cannot help, so that the relay sets the message aside (N2).
        Any other exception is taken as a failure that may pass, and retried.
        """
        ...


class InvoiceIssuer(Protocol):
    """Issues e-invoices (I1, I2)."""

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        """Issue the invoice and send it to the buyer's e-mail.

        Idempotent per ``request.key``: asking again for the same order and part returns the invoice
        already issued, never a second number.
        """
        ...


class InvoiceCorrector(Protocol):
    """Corrects issued e-invoices by new ones that name them: adjusting and replacement invoices (Y8).

    An issuer that implements it also implements :class:`InvoiceIssuer`. The invoice corrected stays issued
    under its number; the correcting invoice takes the next number of the issuer's series, as any invoice.
    Both methods are idempotent per the request's ``key``: asking again returns the invoice already issued,
    never a second number. Checks come before a number is taken: a refused request leaves no gap.
    """

    def adjust(self, adjustment: InvoiceAdjustment) -> IssuedCorrection:
        """Issue the adjusting invoice ``adjustment`` asks for: its lines are the differences (Y8).

        An invoice may be adjusted many times, never below zero in all; a refund of an invoiced order asks
        for a decrease (negative lines) of that order's invoice.

        Raises:
            NotFoundError: (Y8) the original is not an invoice this issuer issued.
            InvalidTransitionError: (Y8) the original was replaced (adjust its replacement instead).
            ValidationError: (Y8) a decrease below zero with the earlier adjustments, or content the
                invoice format cannot carry.
            ConflictError: (Y8) the key was used for another correction.
        """
        ...

    def replace(self, replacement: InvoiceReplacement) -> IssuedCorrection:
        """Issue the replacement invoice ``replacement`` asks for: the whole corrected content (Y8).

        An invoice is replaced at most once; the original stays issued, marked as replaced.

        Raises:
            NotFoundError: (Y8) the original is not an invoice this issuer issued.
            InvalidTransitionError: (Y8) the original was replaced already.
            ValidationError: (Y8) content the invoice format cannot carry.
            ConflictError: (Y8) the key was used for another correction.
        """
        ...

    def corrections_of(self, invoice: CorrectedInvoice) -> tuple[IssuedCorrection, ...]:
        """What was issued against ``invoice`` (its series and number), by number: adjustments and its replacement.

        The invoice and its adjustments add up to what it comes to; when one of them is a replacement, the
        replacement is the invoice to correct from then on. Empty for an invoice never corrected, or not
        issued here.
        """
        ...


class CorrectingIssuer(InvoiceIssuer, InvoiceCorrector, Protocol):
    """An issuer that issues invoices and corrects them (I1, Y8): what ``Services.invoices`` should be.

    Both real issuers are (the reference e-invoice adapter and ``MemoryInvoiceIssuer``). A host that wires
    an issuer without :class:`InvoiceCorrector`'s methods gets its invoices issued, but a refund of an
    invoiced order then cannot ask for its adjusting invoice: it is logged as a warning, kept pending, and
    the refund still succeeds.
    """
