"""The optional port that asks a provider what became of a payment (Y5, Y6): a lost IPN is still applied.

Re-exported by :mod:`subscription_core.ports`. A :class:`PaymentStatusQuery` is a provider's transaction
query (VNPay's ``querydr``, say), registered in ``Services.status_queries`` under the provider's name. The
scheduler asks it about payments left started past their order's deadline before lapsing the order
(:mod:`subscription_core.services.scheduler`): a payment the provider confirms is applied as its
notification would have been, so a success whose notification never came is not lost.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Protocol

import attrs

from subscription_core.errors import ValidationError, aware, non_empty_text, of_type, optional
from subscription_core.payments import PaymentMethod, ProviderNotification

__all__ = ["PaymentStatus", "PaymentStatusAnswer", "PaymentStatusQuery", "PaymentStatusRequest"]


class PaymentStatus(enum.Enum):
    """What a provider says of a payment it was asked about (Y5)."""

    PAID = "paid"  # the provider took the money: the answer carries the notification it stands for
    FAILED = "failed"  # the provider did not and will not take it (declined, abandoned, expired, unknown to it)
    UNKNOWN = "unknown"  # no trustworthy answer (a timeout, a page still open, an answer it cannot read): ask later


@attrs.frozen(kw_only=True)
class PaymentStatusRequest:
    """A started payment to ask about: the library's ids, amount and method, and when the library started it.

    ``started_at`` is ``Payment.started_at``, the instant the provider was given when the payment started
    (``PaymentRequest.started_at``): VNPay finds a payment by it. ``start_ref`` is ``Payment.start_ref``, the
    provider's own reference of the attempt when its start gave one: NgânLượng finds a payment by its token.
    """

    payment_id: str = attrs.field(validator=non_empty_text())
    order_id: str = attrs.field(validator=non_empty_text())
    amount: str = attrs.field(validator=non_empty_text())  # the order's grand total, decimal text
    currency: str = attrs.field(validator=non_empty_text())
    method: PaymentMethod = attrs.field(validator=of_type(PaymentMethod))
    started_at: dt.datetime = attrs.field(validator=aware())
    start_ref: str | None = attrs.field(default=None, validator=optional(non_empty_text()))


@attrs.frozen(kw_only=True)
class PaymentStatusAnswer:
    """A provider's answer: the status and, when PAID, the notification it stands for.

    ``notification`` is what the provider's own notification of that success would have carried, with the
    same ``event_id``, so that the notification arriving after all is recognised as already processed (Y5).

    Raises:
        ValidationError: (Y5) a PAID answer without a succeeded notification.
    """

    status: PaymentStatus = attrs.field(validator=of_type(PaymentStatus))
    notification: ProviderNotification | None = attrs.field(
        default=None, validator=optional(of_type(ProviderNotification))
    )
    message: str = ""

    def __attrs_post_init__(self) -> None:
        """Check a PAID answer carries the success it stands for."""
        if self.status is PaymentStatus.PAID and (self.notification is None or not self.notification.succeeded):
            raise ValidationError("a paid answer carries its succeeded notification", rule="Y5", field="notification")


class PaymentStatusQuery(Protocol):
    """A provider's transaction query (Y5, Y6); ``name`` is the provider's name, as payments are routed to it.

    It changes nothing at the provider and may be asked again at will. It never raises for what the
    provider or the network does: an answer it cannot trust is UNKNOWN. A PAID answer's notification is
    verified by the adapter (a signed answer), as ``PaymentProvider.parse_notification`` verifies one.
    """

    name: str

    def status(self, request: PaymentStatusRequest) -> PaymentStatusAnswer:
        """What became of the payment ``request.payment_id``."""
        ...
