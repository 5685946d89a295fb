"""Promotions at three scopes: package, add-on and whole invoice (rules P1-P5).

A :class:`Promotion` is a value: what it discounts (its scope and targets), by how much (a percentage,
optionally capped, or a fixed amount), how a buyer gets it (a code typed in, or chosen from a list), and
who is eligible (validity window, purchase kind, minimum amount, redemption limits). Which promotions
apply to an order, and in what order, is decided by :mod:`subscription_core.pricing`.

Every field is checked when a promotion is built, so a stored promotion can always be applied: amounts and
dates within :mod:`subscription_core.limits`, percentages with at most 28 decimals, targets that are texts
(item codes), and purchase kinds that are :class:`PurchaseKind` members.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

import attrs

from subscription_core.catalog import CODE_PATTERN
from subscription_core.errors import ValidationError, any_text, of_type, optional, whole_number
from subscription_core.limits import MAX_PERCENT_DECIMALS, MAX_REDEMPTIONS, within_dates
from subscription_core.money import CONTEXT, Currency, Money, to_decimal

__all__ = [
    "AmountOff",
    "Entry",
    "PercentOff",
    "Promotion",
    "PurchaseKind",
    "RedemptionCounts",
    "Refusal",
    "RefusalReason",
    "Scope",
    "code_key",
]

_HUNDRED = Decimal(100)
_PERCENT_QUANTUM = Decimal(1).scaleb(-MAX_PERCENT_DECIMALS)


class Scope(enum.Enum):
    """Where a promotion applies (P1)."""

    PACKAGE = "package"
    ADDON = "addon"
    INVOICE = "invoice"


class Entry(enum.Enum):
    """How a buyer gets a promotion (P3): a code handed out by sales staff, or a choice in a list."""

    CODE = "code"
    SELECTABLE = "selectable"


class PurchaseKind(enum.Enum):
    """Whether an order buys something new or renews (P4)."""

    NEW = "new"
    RENEWAL = "renewal"


def _percent(value: object) -> Decimal:
    return to_decimal(value, field="percent")


@attrs.frozen(kw_only=True)
class PercentOff:
    """A percentage off (P2), optionally capped at ``cap``."""

    percent: Decimal = attrs.field(converter=_percent)
    cap: Money | None = None

    def __attrs_post_init__(self) -> None:
        """Check 0 < percent <= 100 and a positive cap."""
        if not Decimal(0) < self.percent <= _HUNDRED:
            raise ValidationError("must be > 0 and <= 100", rule="P2", field="percent", value=self.percent)
        if self.percent != self.percent.quantize(_PERCENT_QUANTUM, context=CONTEXT):
            raise ValidationError(
                f"must have at most {MAX_PERCENT_DECIMALS} decimals", rule="P2", field="percent", value=self.percent
            )
        if self.cap is not None and (not isinstance(self.cap, Money) or self.cap.amount <= 0):
            raise ValidationError("a cap must be a positive amount", rule="P2", field="cap", value=self.cap)


@attrs.frozen(kw_only=True)
class AmountOff:
    """A fixed amount off (P2)."""

    amount: Money

    def __attrs_post_init__(self) -> None:
        """Check the amount is positive."""
        if not isinstance(self.amount, Money) or self.amount.amount <= 0:
            raise ValidationError("must be a positive amount", rule="P2", field="amount", value=self.amount)


Benefit = PercentOff | AmountOff

_ALL_KINDS = frozenset(PurchaseKind)


def _codes(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("must be a set of item codes", rule="P4", field="targets", value=value)
    items = list(value)
    for code in items:
        if not isinstance(code, str):  # checked before hashing: a list inside would raise TypeError
            raise ValidationError("must name item codes", rule="P4", field="targets", value=type(code).__name__)
    return frozenset(items)


def _kinds(value: object) -> frozenset[PurchaseKind]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("must be a set of PurchaseKind", rule="P4", field="purchase_kinds", value=value)
    items = list(value)
    if not all(isinstance(kind, PurchaseKind) for kind in items):  # before hashing, as for targets
        raise ValidationError("must be a set of PurchaseKind", rule="P4", field="purchase_kinds", value=str(value))
    return frozenset(items)


def _day(_instance: object, attribute: attrs.Attribute[dt.date | None], value: object) -> None:
    if value is None:
        return
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError("must be a date (not a datetime)", rule="P4", field=attribute.name, value=value)
    within_dates(value, field=attribute.name, rule="P4")


def _minimum(_instance: object, _attribute: attrs.Attribute[Money | None], value: object) -> None:
    if value is not None and (not isinstance(value, Money) or value.amount < 0):
        raise ValidationError("must be an amount >= 0", rule="P4", field="min_amount", value=value)


def _promo_code(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not CODE_PATTERN.match(value):
        raise ValidationError(
            "must be 1-64 letters, digits, '.', '_' or '-'", rule="P3", field=attribute.name, value=value
        )


@attrs.frozen(kw_only=True)
class Promotion:
    """A promotion and its eligibility rules (P1-P4).

    ``targets`` names the plan codes (PACKAGE scope), add-on codes (ADDON scope) or product codes (INVOICE
    scope) it applies to; empty means every item of its scope. ``valid_from``/``valid_until`` are
    inclusive calendar dates. ``min_amount`` is compared with the order's amount before any discount for
    line scopes, and with the subtotal after line discounts for the invoice scope. ``stackable``
    promotions apply beside the one best non-stackable promotion of their place (P5).
    """

    code: str = attrs.field(validator=_promo_code)
    scope: Scope = attrs.field(validator=of_type(Scope))
    benefit: Benefit = attrs.field(validator=of_type(PercentOff, AmountOff))
    name: str = attrs.field(default="", validator=any_text())
    entry: Entry = attrs.field(default=Entry.SELECTABLE, validator=of_type(Entry))
    targets: frozenset[str] = attrs.field(default=frozenset(), converter=_codes)
    valid_from: dt.date | None = attrs.field(default=None, validator=_day)
    valid_until: dt.date | None = attrs.field(default=None, validator=_day)
    min_amount: Money | None = attrs.field(default=None, validator=_minimum)
    purchase_kinds: frozenset[PurchaseKind] = attrs.field(default=_ALL_KINDS, converter=_kinds)
    stackable: bool = attrs.field(default=False, validator=of_type(bool))
    redemption_limit: int | None = attrs.field(
        default=None, validator=optional(whole_number(1, rule="P4", maximum=MAX_REDEMPTIONS))
    )
    per_customer_limit: int | None = attrs.field(
        default=None, validator=optional(whole_number(1, rule="P4", maximum=MAX_REDEMPTIONS))
    )

    def __attrs_post_init__(self) -> None:
        """Check the window is not reversed and at least one purchase kind is allowed."""
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError(
                "validity ends before it starts", rule="P4", field="valid_until", value=self.valid_until
            )
        if not self.purchase_kinds:
            raise ValidationError(
                "must allow new purchases, renewals or both", rule="P4", field="purchase_kinds", value=[]
            )

    @property
    def is_fixed(self) -> bool:
        """Whether this is a fixed amount off (fixed amounts apply before percentages, P6)."""
        return isinstance(self.benefit, AmountOff)

    def targets_item(self, code: str) -> bool:
        """Whether this promotion applies to the item (plan, add-on or product) ``code``."""
        return not self.targets or code in self.targets

    def currency_mismatch(self, currency: Currency) -> bool:
        """Whether an amount of this promotion is in another currency than ``currency``."""
        benefit = self.benefit
        money = benefit.amount if isinstance(benefit, AmountOff) else benefit.cap
        return (money is not None and money.currency != currency) or (
            self.min_amount is not None and self.min_amount.currency != currency
        )

    def discount_on(self, amount: Decimal, currency: Currency) -> Decimal:
        """The discount this promotion gives on ``amount`` alone (P2, P7, P8).

        A percentage is rounded half-up to the minor unit and then capped; a fixed amount is taken as is.
        The result never exceeds ``amount`` and is never negative.
        """
        if amount <= 0:
            return Decimal(0)
        benefit = self.benefit
        if isinstance(benefit, AmountOff):
            off = benefit.amount.amount
        else:
            share = CONTEXT.divide(CONTEXT.multiply(amount, benefit.percent), _HUNDRED)
            off = share.quantize(currency.quantum, rounding=ROUND_HALF_UP, context=CONTEXT)
            if benefit.cap is not None and benefit.cap.amount < off:
                off = benefit.cap.amount
        return min(off, amount)


def code_key(code: str) -> str:
    """How promotion codes are compared everywhere: stripped and ignoring case (P3).

    Raises:
        ValidationError: the code is not a non-empty text.
    """
    if not isinstance(code, str) or not code.strip():
        raise ValidationError("must be a non-empty text", rule="P3", field="code", value=code)
    return code.strip().casefold()


class RefusalReason(enum.Enum):
    """Why a promotion was not applied; a checkout shows these to the buyer."""

    UNKNOWN_CODE = "unknown code"
    NOT_YET_VALID = "not yet valid"
    EXPIRED = "expired"
    NOT_APPLICABLE = "not for the items in this order"
    WRONG_PURCHASE_KIND = "not for this kind of purchase"
    BELOW_MINIMUM = "order below the minimum amount"
    LIMIT_REACHED = "no redemptions left"
    CUSTOMER_LIMIT_REACHED = "this customer has used it up"
    OUTRANKED = "a better promotion took its place"
    CURRENCY_MISMATCH = "in another currency"


@attrs.frozen
class Refusal:
    """A promotion that was asked for but not applied, and why."""

    code: str
    reason: RefusalReason
    detail: str = ""


@attrs.frozen(kw_only=True)
class RedemptionCounts:
    """How often promotions were redeemed (reserved or consumed), in all and by the ordering customer (P4).

    Missing codes count as zero.
    """

    total: Mapping[str, int] = attrs.field(factory=dict)
    by_customer: Mapping[str, int] = attrs.field(factory=dict)

    def refusal(self, promotion: Promotion) -> Refusal | None:
        """Return the refusal for an exhausted limit, or ``None`` when redemptions are left."""
        limit = promotion.redemption_limit
        if limit is not None and self.total.get(promotion.code, 0) >= limit:
            return Refusal(promotion.code, RefusalReason.LIMIT_REACHED, f"limit {limit}")
        limit = promotion.per_customer_limit
        if limit is not None and self.by_customer.get(promotion.code, 0) >= limit:
            return Refusal(promotion.code, RefusalReason.CUSTOMER_LIMIT_REACHED, f"limit {limit} per customer")
        return None
