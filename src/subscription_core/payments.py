"""Payments: methods, payment records, provider notifications and proofs of payment (Y1-Y5).

Everything here is a value or an entity; talking to a provider, checking its signature and storing files
are adapters' jobs behind ports. :func:`check_notification` decides what a provider's notification may do
to an order (Y5) and takes the signature check as a hook. The tokens of payment links (O5) are issued and
verified by :class:`~subscription_core.payment_links.PaymentLinkSigner`.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Container, Iterable, Mapping
from decimal import Decimal
from typing import Final

import attrs

from subscription_core.calendar import local_date
from subscription_core.customers import Actor
from subscription_core.entitlements import CommitmentProof
from subscription_core.errors import (
    CurrencyMismatchError,
    InvalidTransitionError,
    PermissionDeniedError,
    ValidationError,
    aware,
    non_empty_text,
    of_type,
    optional,
    required_text,
    utc,
    whole_number,
)
from subscription_core.money import Money, to_decimal
from subscription_core.orders import Order

# PaymentLinkSigner is re-exported: other modules import it from here.
from subscription_core.payment_links import PaymentLinkSigner
from subscription_core.texts import LINE_LIMIT, NOTE_LIMIT

__all__ = [
    "PAYMENT_TRANSITIONS",
    "RECEIPT_CLOCK_SKEW",
    "MethodKind",
    "Payment",
    "PaymentEvent",
    "PaymentLinkSigner",
    "PaymentMethod",
    "PaymentProof",
    "PaymentState",
    "ProofState",
    "ProviderNotification",
    "SignatureCheck",
    "Verdict",
    "check_notification",
    "dated_receipt",
    "staff_only",
]

_CODE: Final = re.compile(r"^[A-Z0-9_]{2,32}$")

RECEIPT_CLOCK_SKEW: Final = dt.timedelta(minutes=5)
"""How far after ``now`` a receipt may be dated before it is refused as from the future (Y7)."""


def _reason(value: object, field: str = "reason", *, lines: bool = False) -> str:
    # A failure or a rejection may span lines as it was typed or received (and was so stored before).
    most = NOTE_LIMIT if lines else LINE_LIMIT
    return required_text(value, field=field, message="a reason is required", most=most, lines=lines)


def staff_only(by: object, action: str) -> Actor:
    """Return ``by`` if it is a staff actor (A2).

    Raises:
        ValidationError: not an ``Actor``. PermissionDeniedError: (A2) not staff, naming ``action``.
    """
    if not isinstance(by, Actor):
        raise ValidationError("must be an Actor", field="by", value=by)
    if not by.is_staff:
        raise PermissionDeniedError(f"only vendor staff may {action}", rule="A2", field="by", value=by.id)
    return by


class MethodKind(enum.Enum):
    """The ways to pay (Y1)."""

    DOMESTIC_CARD = "domestic_card"  # a domestic card through internet banking, at a chosen bank
    E_WALLET = "e_wallet"  # NganLuong, VNPT Pay, MoMo, ...
    INTERNATIONAL_CARD = "international_card"
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"


_ONLINE: Final = frozenset({MethodKind.DOMESTIC_CARD, MethodKind.E_WALLET, MethodKind.INTERNATIONAL_CARD})


def _code(value: object, field: str) -> str | None:
    if value is None:
        return None
    code = value.strip().upper() if isinstance(value, str) else ""
    if not _CODE.match(code):
        raise ValidationError("must be 2-32 letters, digits or '_'", rule="Y1", field=field, value=value)
    return code


def _bank(value: object) -> str | None:
    return _code(value, "bank")


def _wallet(value: object) -> str | None:
    return _code(value, "wallet")


@attrs.frozen(kw_only=True)
class PaymentMethod:
    """A payment method (Y1): its kind, with the bank for a domestic card and the wallet for an e-wallet.

    Bank and wallet codes are upper-cased (``VCB``, ``BIDV``; ``NGANLUONG``, ``VNPTPAY``, ``MOMO``).

    Raises:
        ValidationError: (Y1) a bank without a domestic card or missing for one, a wallet without an
            e-wallet or missing for one, or a code that is not 2-32 letters, digits or '_'.
    """

    kind: MethodKind = attrs.field(validator=of_type(MethodKind))
    bank: str | None = attrs.field(default=None, converter=_bank)
    wallet: str | None = attrs.field(default=None, converter=_wallet)

    def __attrs_post_init__(self) -> None:
        """Check the bank and wallet codes go with the kind."""
        for field, value, needed in (
            ("bank", self.bank, MethodKind.DOMESTIC_CARD),
            ("wallet", self.wallet, MethodKind.E_WALLET),
        ):
            if (self.kind is needed) != (value is not None):
                raise ValidationError(
                    f"is required for {needed.value} and only for it", rule="Y1", field=field, value=value
                )

    @classmethod
    def domestic_card(cls, bank: str) -> PaymentMethod:
        """A domestic card through internet banking at ``bank``."""
        return cls(kind=MethodKind.DOMESTIC_CARD, bank=bank)

    @classmethod
    def e_wallet(cls, wallet: str) -> PaymentMethod:
        """An e-wallet such as ``NGANLUONG``, ``VNPTPAY`` or ``MOMO``."""
        return cls(kind=MethodKind.E_WALLET, wallet=wallet)

    @classmethod
    def international_card(cls) -> PaymentMethod:
        """An international card (Visa, Mastercard, ...)."""
        return cls(kind=MethodKind.INTERNATIONAL_CARD)

    @classmethod
    def bank_transfer(cls) -> PaymentMethod:
        """A bank transfer, paid offline (Y3)."""
        return cls(kind=MethodKind.BANK_TRANSFER)

    @classmethod
    def cash(cls) -> PaymentMethod:
        """Cash, paid offline (Y3)."""
        return cls(kind=MethodKind.CASH)

    @property
    def is_online(self) -> bool:
        """Whether the buyer is redirected to a provider that confirms the payment (Y2); else offline (Y3)."""
        return self.kind in _ONLINE


def dated_receipt(received_at: dt.datetime, *, order: Order, now: dt.datetime) -> dt.datetime:
    """Return when money for ``order`` counts as received: ``received_at``, or the placing if earlier that day (Y7).

    Money is dated when it was received. A receipt dated on a local day before the order was placed cannot
    be for it (a typo, an old statement line); one dated later than ``now`` plus :data:`RECEIPT_CLOCK_SKEW`
    has not happened yet. A receipt earlier on the day the order was placed is taken as received at the
    placing (a customer may transfer before staff key the order in), so no grant is judged before its order
    existed [decision].

    Raises:
        ValidationError: (Y7) dated before the order's placing day, or in the future; (D2) a naive instant.
    """
    when = utc(received_at, "received_at")
    if when > utc(now) + RECEIPT_CLOCK_SKEW:
        raise ValidationError(
            "money cannot be received in the future", rule="Y7", field="received_at", value=when.isoformat()
        )
    placed = order.placed_at or order.created_at
    if local_date(when) < local_date(placed):
        raise ValidationError(
            f"is dated before order {order.id} was placed on {local_date(placed).isoformat()}: it cannot pay it",
            rule="Y7",
            field="received_at",
            value=when.isoformat(),
        )
    return max(when, placed)


def _check_amount(order: Order, amount: Decimal, currency: str) -> None:
    """Check an amount paid equals the order's grand total in its currency (Y3, Y5) [decision: no part payments]."""
    expected = order.grand_total
    if currency.strip().upper() != expected.currency.code:
        raise CurrencyMismatchError(
            f"the order is in {expected.currency.code}", rule="Y5", field="currency", value=currency
        )
    if amount != expected.amount:
        raise ValidationError(f"the order's total is {expected}", rule="Y5", field="amount", value=amount)


def _awaiting(order: Order) -> None:
    if not isinstance(order, Order):
        raise ValidationError("must be an Order", field="order", value=order)
    if not order.awaiting_payment:
        raise InvalidTransitionError(
            f"order {order.id} is {order.state.value}, not awaiting payment",
            rule="Y5",
            field="state",
            value=order.state.value,
        )


class PaymentState(enum.Enum):
    """Where a payment stands."""

    STARTED = "started"  # redirected to the provider, or the order sent for offline payment
    SUCCEEDED = "succeeded"  # confirmed by the provider (Y2) or recorded as received by staff (Y3)
    FAILED = "failed"


class PaymentEvent(enum.Enum):
    """What settles a started payment."""

    SUCCEED = "succeed"  # the provider confirmed it (Y2), staff recorded the money (Y3) or applied unapplied money (Y6)
    FAIL = "fail"


PAYMENT_TRANSITIONS: Final[Mapping[tuple[PaymentState, PaymentEvent], PaymentState]] = {
    (PaymentState.STARTED, PaymentEvent.SUCCEED): PaymentState.SUCCEEDED,
    (PaymentState.STARTED, PaymentEvent.FAIL): PaymentState.FAILED,
}
"""The payment state machine (Y2, Y3): a started payment succeeds, applied to its order, or fails."""


@attrs.frozen(kw_only=True)
class Payment:
    """One attempt to pay an order (Y1-Y3): entity with ``id`` and ``version``.

    ``amount`` is the order's grand total. An online payment succeeds on the provider's confirmation,
    named by ``provider_ref`` (Y2); an offline one when staff record the money as received at
    ``received_at``, from which the services compute the activation deadline (Y3). A failed attempt
    stays failed; the buyer starts another. ``unapplied_id`` names the unapplied money that paid it, when
    staff applied money held earlier (Y6). ``start_ref`` is the provider's own reference of the attempt when
    it gave one on starting (NgânLượng's token): its status query finds the attempt by it, so a payment
    whose return never came is still applied (Y5, Y6).
    """

    id: str = attrs.field(validator=non_empty_text())
    order_id: str = attrs.field(validator=non_empty_text())
    method: PaymentMethod = attrs.field(validator=of_type(PaymentMethod))
    amount: Money = attrs.field(validator=of_type(Money))
    started_at: dt.datetime = attrs.field(validator=aware())
    state: PaymentState = attrs.field(default=PaymentState.STARTED, validator=of_type(PaymentState))
    settled_at: dt.datetime | None = attrs.field(default=None, validator=optional(aware()))
    provider_ref: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    received_at: dt.datetime | None = attrs.field(default=None, validator=optional(aware()))
    received_by: Actor | None = attrs.field(default=None, validator=optional(of_type(Actor)))
    failure: str | None = attrs.field(default=None, validator=optional(non_empty_text(lines=True, most=NOTE_LIMIT)))
    unapplied_id: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    start_ref: str | None = attrs.field(default=None, validator=optional(non_empty_text()))
    version: int = attrs.field(default=0, validator=whole_number(0))

    @classmethod
    def start(cls, *, id: str, order: Order, method: PaymentMethod, at: dt.datetime) -> Payment:  # noqa: A002
        """Start paying ``order`` by ``method``: its grand total, while it awaits payment (O4).

        Raises:
            InvalidTransitionError: (Y5) the order is not awaiting payment.
            ValidationError: a bad field or a naive instant.
        """
        _awaiting(order)
        return cls(id=id, order_id=order.id, method=method, amount=order.grand_total, started_at=utc(at))

    def started_as(self, start_ref: str | None) -> Payment:
        """Return the just-started payment with the provider's reference of the attempt (none kept when ``None``).

        Raises:
            InvalidTransitionError: the payment is no longer started.
            ValidationError: an empty or malformed reference.
        """
        if self.state is not PaymentState.STARTED:
            raise InvalidTransitionError("only a started payment takes its provider's reference", field="state")
        return self if start_ref is None else attrs.evolve(self, start_ref=start_ref)

    @classmethod
    def received_offline(
        cls,
        *,
        id: str,  # noqa: A002
        order: Order,
        method: PaymentMethod,
        amount: Money,
        at: dt.datetime,
        by: Actor,
        reference: str | None = None,
    ) -> Payment:
        """Record money received offline for ``order`` at ``at`` by staff, with no payment started before (Y3).

        Raises:
            PermissionDeniedError: (A2) ``by`` is not staff.
            InvalidTransitionError: (Y5) the order is not awaiting payment.
            ValidationError: (Y3, Y5) an online method, or an amount other than the order's total.
        """
        started = cls.start(id=id, order=order, method=method, at=at)
        return started.receive(amount=amount, at=at, by=by, reference=reference)

    @classmethod
    def reapplied(
        cls,
        *,
        id: str,  # noqa: A002
        order: Order,
        method: PaymentMethod,
        unapplied_id: str,
        at: dt.datetime,
        by: Actor,
    ) -> Payment:
        """Pay ``order`` with unapplied money ``unapplied_id``, applied by staff at ``at`` (Y6, A2).

        The money was received earlier and held; it pays the order's grand total when staff apply it, so the
        payment is dated ``at``. It counts as applied money, never as money received a second time.

        Raises:
            PermissionDeniedError: (A2) ``by`` is not staff.
            InvalidTransitionError: (Y5) the order is not awaiting payment.
        """
        staff = staff_only(by, "apply unapplied money")
        started = cls.start(id=id, order=order, method=method, at=at)
        settled = started._settle(PaymentEvent.SUCCEED, at)  # noqa: SLF001 - the class's own transition
        return attrs.evolve(settled, received_at=settled.settled_at, received_by=staff, unapplied_id=unapplied_id)

    def succeed(self, *, at: dt.datetime, provider_ref: str) -> Payment:
        """Return the online payment confirmed by its provider's event ``provider_ref`` (Y2).

        Raises:
            InvalidTransitionError: the payment is not started.
            ValidationError: (Y2) an offline method, or an empty reference.
        """
        self._check_online(online=True)
        reference = _reason(provider_ref, "provider_ref")
        return attrs.evolve(self._settle(PaymentEvent.SUCCEED, at), provider_ref=reference)

    def receive(self, *, amount: Money, at: dt.datetime, by: Actor, reference: str | None = None) -> Payment:
        """Return the offline payment recorded by staff as received at ``at`` (Y3, A2).

        ``reference`` names where the money was seen (a bank statement's line), kept as ``provider_ref``.

        Raises:
            PermissionDeniedError: (A2) ``by`` is not staff.
            InvalidTransitionError: the payment is not started.
            ValidationError: (Y3) an online method, or an amount other than the payment's.
        """
        staff = staff_only(by, "record money as received")
        self._check_online(online=False)
        if not isinstance(amount, Money) or amount != self.amount:
            raise ValidationError(f"the order's total is {self.amount}", rule="Y3", field="amount", value=amount)
        when = utc(at)
        settled = self._settle(PaymentEvent.SUCCEED, when)
        return attrs.evolve(settled, received_at=when, received_by=staff, provider_ref=reference)

    def fail(self, *, at: dt.datetime, reason: str) -> Payment:
        """Return the payment failed for ``reason`` (declined, abandoned, provider error).

        Raises:
            InvalidTransitionError: the payment is not started.
        """
        failure = _reason(reason, lines=True)
        return attrs.evolve(self._settle(PaymentEvent.FAIL, at), failure=failure)

    def _check_online(self, *, online: bool) -> None:
        if self.method.is_online != online:
            expected = "a provider confirms online payments" if online else "staff record offline payments"
            raise ValidationError(
                f"{self.method.kind.value}: {expected}", rule="Y2" if online else "Y3", field="method"
            )

    def _settle(self, event: PaymentEvent, at: dt.datetime) -> Payment:
        target = PAYMENT_TRANSITIONS.get((self.state, event))
        if target is None:
            raise InvalidTransitionError(
                f"a {self.state.value} payment cannot {event.value}", field="state", value=self.state.value
            )
        return attrs.evolve(self, state=target, settled_at=utc(at), version=self.version + 1)


def _pairs(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    try:
        pairs = tuple((str(k), str(v)) for k, v in items)
    except (TypeError, ValueError):
        raise ValidationError("must be name/value pairs", rule="Y5", field="fields", value=value) from None
    return pairs


@attrs.frozen(kw_only=True)
class ProviderNotification:
    """What a payment provider tells about an order (Y2, Y5), as its adapter parsed it.

    ``amount`` and ``currency`` are as the provider sent them (converted to the order's unit by the
    adapter); ``fields`` are the raw name/value pairs and ``signature`` the provider's signature over
    them, which an adapter verifies.
    """

    provider: str = attrs.field(validator=non_empty_text())
    event_id: str = attrs.field(validator=non_empty_text())
    order_id: str = attrs.field(validator=non_empty_text())
    amount: Decimal = attrs.field(converter=to_decimal)
    currency: str = attrs.field(validator=non_empty_text())
    succeeded: bool = attrs.field(validator=of_type(bool))
    signature: str = attrs.field(validator=of_type(str))
    received_at: dt.datetime = attrs.field(validator=aware())
    fields: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the notification for de-duplication: ``(provider, event_id)`` (Y5)."""
        return (self.provider, self.event_id)


class Verdict(enum.Enum):
    """What an accepted notification does (Y5)."""

    PAY = "pay"  # a new success: the order is paid
    FAIL = "fail"  # a new failure: the attempt failed, the order still awaits payment
    ALREADY_DONE = "already_done"  # processed before: answer as done, apply nothing


SignatureCheck = Callable[[ProviderNotification], bool]
"""The hook that verifies a notification's signature; an adapter implements it behind a port (Y5)."""


def check_notification(
    notification: ProviderNotification,
    order: Order,
    *,
    signature_valid: SignatureCheck,
    processed: Container[tuple[str, str]] = frozenset(),
) -> Verdict:
    """Decide what ``notification`` may do to ``order`` (Y5), checking in this order.

    1. the signature, by the ``signature_valid`` hook;
    2. the notification names this order;
    3. a notification whose :attr:`~ProviderNotification.key` is in ``processed`` is ALREADY_DONE;
    4. the currency and amount equal the order's grand total;
    5. the order awaits payment.

    Raises:
        ValidationError: (Y5) a bad signature (field ``signature``), another order (``order_id``), or
            another amount (``amount``); CurrencyMismatchError for another currency (``currency``).
        InvalidTransitionError: (Y5) the order is not awaiting payment (``state``: paid, lapsed, ...).
    """
    if not isinstance(notification, ProviderNotification):
        raise ValidationError("must be a ProviderNotification", field="notification", value=notification)
    if signature_valid(notification) is not True:
        raise ValidationError(f"invalid {notification.provider} signature", rule="Y5", field="signature")
    if not isinstance(order, Order):
        raise ValidationError("must be an Order", field="order", value=order)
    if notification.order_id != order.id:
        raise ValidationError("does not name this order", rule="Y5", field="order_id", value=notification.order_id)
    if notification.key in processed:
        return Verdict.ALREADY_DONE
    _check_amount(order, notification.amount, notification.currency)
    _awaiting(order)
    return Verdict.PAY if notification.succeeded else Verdict.FAIL


class ProofState(enum.Enum):
    """Where a proof of payment stands (Y4)."""

    SUBMITTED = "submitted"
    VERIFIED = "verified"
    REJECTED = "rejected"


@attrs.frozen(kw_only=True)
class PaymentProof:
    """A customer's proof of payment (Y4, K2): transfer content and an attached image, checked by staff.

    ``attachment`` is a reference to the stored file (a file id), never its bytes. Entity with ``id`` and
    ``version``; staff verify it or reject it with a reason.
    """

    id: str = attrs.field(validator=non_empty_text())
    order_id: str = attrs.field(validator=non_empty_text())
    transfer_content: str = attrs.field(validator=non_empty_text())
    attachment: str = attrs.field(validator=non_empty_text())
    submitted_at: dt.datetime = attrs.field(validator=aware())
    submitted_by: Actor = attrs.field(validator=of_type(Actor))
    state: ProofState = attrs.field(default=ProofState.SUBMITTED, validator=of_type(ProofState))
    reviewed_at: dt.datetime | None = attrs.field(default=None, validator=optional(aware()))
    reviewed_by: Actor | None = attrs.field(default=None, validator=optional(of_type(Actor)))
    rejection: str | None = attrs.field(default=None, validator=optional(non_empty_text(lines=True, most=NOTE_LIMIT)))
    version: int = attrs.field(default=0, validator=whole_number(0))

    def verify(self, *, at: dt.datetime, by: Actor) -> PaymentProof:
        """Return the proof verified by staff (Y4, A2): the payment is confirmed.

        Raises:
            PermissionDeniedError: (A2) ``by`` is not staff.
            InvalidTransitionError: (Y4) the proof was already reviewed.
        """
        return self._review(ProofState.VERIFIED, at, staff_only(by, "verify a proof of payment"))

    def reject(self, *, at: dt.datetime, by: Actor, reason: str) -> PaymentProof:
        """Return the proof rejected by staff with ``reason`` (Y4, A2).

        Raises:
            PermissionDeniedError: (A2) ``by`` is not staff.
            InvalidTransitionError: (Y4) the proof was already reviewed.
            ValidationError: an empty reason.
        """
        staff = staff_only(by, "reject a proof of payment")
        return attrs.evolve(self._review(ProofState.REJECTED, at, staff), rejection=_reason(reason, lines=True))

    def _review(self, target: ProofState, at: dt.datetime, by: Actor) -> PaymentProof:
        if self.state is not ProofState.SUBMITTED:
            raise InvalidTransitionError(
                f"a {self.state.value} proof cannot be {target.value}", rule="Y4", field="state", value=self.state.value
            )
        return attrs.evolve(self, state=target, reviewed_at=utc(at), reviewed_by=by, version=self.version + 1)

    def as_commitment_proof(self) -> CommitmentProof:
        """The proof as the lifecycle attaches it to a renewal on commitment (K2)."""
        return CommitmentProof(
            submitted_at=self.submitted_at, transfer_content=self.transfer_content, attachment=self.attachment
        )
