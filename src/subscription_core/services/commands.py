"""What a caller asks the ordering services for: plain, validated values (O1-O3).

Each request names what to buy by catalog codes only; no request carries a price, since every price
comes from the catalog (C5). A :class:`Checkout` carries what the buyer fills in and confirms once: the
subscriber and invoice details (O2), the confirmation (O3), and optionally the total the buyer was shown,
which the order must match to the đồng or it is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from subscription_core.customers import Contact, Party
from subscription_core.errors import ValidationError, checked_id, checked_text, of_type
from subscription_core.limits import MAX_CYCLES, MAX_QUANTITY
from subscription_core.money import Money
from subscription_core.texts import ID_LIMIT

__all__ = [
    "AddonChoice",
    "Checkout",
    "NewPurchase",
    "OrderRequest",
    "Renewal",
    "RetentionPackage",
    "StorageTopUp",
]


def _text(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # An id or a catalog code: checked as one (length, characters) before any store or fingerprint meets it.
    checked_id(value, field=attribute.name, rule="O1")
    checked_text(value, field=attribute.name, rule="O1", most=ID_LIMIT)


def _optional_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _text(instance, attribute, value)


def _quantity(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # A quantity or a number of cycles; both bounded where they enter (subscription_core.limits).
    most = MAX_CYCLES if attribute.name == "cycles" else MAX_QUANTITY
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
        raise ValidationError(
            f"must be a whole number >= 1 and <= {most:,}", rule="C3", field=attribute.name, value=value
        )


def _optional_quantity(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _quantity(instance, attribute, value)


def _non_negative(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError("must be a whole number >= 0", rule="S6", field=attribute.name, value=value)


def checked_codes(value: object) -> tuple[str, ...]:
    """Promotion codes as typed, each checked as an id, without repeats, in the order given (P3).

    Raises:
        ValidationError: (P3) not a sequence of codes (a single string is refused, not read letter by
            letter), or a code that is empty, too long or not printable.
    """
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("must be a sequence of promotion codes", rule="P3", field="codes", value=value)
    codes = tuple(value)
    if not all(isinstance(c, str) and c.strip() for c in codes):
        raise ValidationError("every promotion code must be a non-empty text", rule="P3", field="codes", value=codes)
    return tuple(dict.fromkeys(checked_id(c, field="codes", rule="P3") for c in codes))


def _addons(value: object) -> tuple[AddonChoice, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("must be a sequence of AddonChoice", rule="C3", field="addons", value=value)
    addons = tuple(value)
    if not all(isinstance(a, AddonChoice) for a in addons):
        raise ValidationError("every add-on must be an AddonChoice", rule="C3", field="addons", value=addons)
    return addons


@attrs.frozen(kw_only=True)
class AddonChoice:
    """An add-on bought with a new purchase (C3): its code, a quantity, and the cycles of a per-cycle service."""

    addon: str = attrs.field(validator=_text)
    quantity: int = attrs.field(default=1, validator=_quantity)
    cycles: int | None = attrs.field(default=None, validator=_optional_quantity)


@attrs.frozen(kw_only=True)
class NewPurchase:
    """A new purchase (O1) of ``plan`` with pricing option ``option`` for ``customer_id``, with add-ons.

    ``trial_id`` names the customer's free trial this purchase converts (C4); without it a new
    subscription is opened (S8: a company may hold any number).
    """

    customer_id: str = attrs.field(validator=_text)
    plan: str = attrs.field(validator=_text)
    option: str = attrs.field(validator=_text)
    addons: tuple[AddonChoice, ...] = attrs.field(default=(), converter=_addons)
    trial_id: str | None = attrs.field(default=None, validator=_optional_text)
    codes: tuple[str, ...] = attrs.field(default=(), converter=checked_codes)


@attrs.frozen(kw_only=True)
class Renewal:
    """A renewal (O1) of ``subscription_id`` with pricing option ``option``, on its plan or on ``plan`` (a switch).

    Its plan is the last paid term's unless ``plan`` names another. ``keep_storage`` (the default) buys
    again, for the new term, the extra storage the last paid term holds, as the same storage add-on lines
    at their full price, on any plan they go with: the quote offers it and the buyer may drop it with
    ``keep_storage=False`` (S11). ``storage_addon`` and ``storage_units`` add storage beyond that, on an
    Enterprise-class plan only (S6).
    """

    subscription_id: str = attrs.field(validator=_text)
    option: str = attrs.field(validator=_text)
    plan: str | None = attrs.field(default=None, validator=_optional_text)
    storage_addon: str | None = attrs.field(default=None, validator=_optional_text)
    storage_units: int = attrs.field(default=0, validator=_non_negative)
    codes: tuple[str, ...] = attrs.field(default=(), converter=checked_codes)
    keep_storage: bool = attrs.field(default=True, validator=of_type(bool))

    def __attrs_post_init__(self) -> None:
        """Check storage units and the storage add-on come together."""
        if (self.storage_addon is None) != (self.storage_units == 0):
            raise ValidationError(
                "name the storage add-on exactly when buying storage units", rule="S6", field="storage_addon"
            )


@attrs.frozen(kw_only=True)
class StorageTopUp:
    """Extra storage (O1, S6): ``quantity`` units of the storage add-on ``addon`` for ``subscription_id``."""

    subscription_id: str = attrs.field(validator=_text)
    addon: str = attrs.field(validator=_text)
    quantity: int = attrs.field(validator=_quantity)
    codes: tuple[str, ...] = attrs.field(default=(), converter=checked_codes)


@attrs.frozen(kw_only=True)
class RetentionPackage:
    """A data-retention package (O1, S5): ``quantity`` units of ``addon`` for the expired ``subscription_id``."""

    subscription_id: str = attrs.field(validator=_text)
    addon: str = attrs.field(validator=_text)
    quantity: int = attrs.field(validator=_quantity)
    codes: tuple[str, ...] = attrs.field(default=(), converter=checked_codes)


OrderRequest = NewPurchase | Renewal | StorageTopUp | RetentionPackage
"""Every ordinary order a customer, staff or an accountant may place (O1)."""


def _expected(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Money):
        raise ValidationError(
            "must be Money (an amount and its currency)", rule="C5", field=attribute.name, value=value
        )


@attrs.frozen(kw_only=True)
class Checkout:
    """What the buyer fills in and confirms when placing an order (O2, O3, C5).

    ``subscriber`` defaults to the customer's own licence details. The invoice details are the
    subscriber's when ``invoice_same_as_subscriber`` is ticked, else ``invoice`` when typed in, else the
    customer's own invoice details (O2). ``confirmed`` is the buyer's confirmation of the order and the
    terms (O3). ``expected_total`` is the total the buyer was shown: it is never used as a price, only
    compared with the catalog's (C5). ``notify`` receives the order's notices instead of the subscriber.

    Raises:
        ValidationError: (O2) invoice details both copied and typed in, or a field of the wrong type.
    """

    confirmed: bool = attrs.field(default=False, validator=of_type(bool))
    subscriber: Party | None = attrs.field(default=None, validator=attrs.validators.optional(of_type(Party)))
    invoice: Party | None = attrs.field(default=None, validator=attrs.validators.optional(of_type(Party)))
    invoice_same_as_subscriber: bool = attrs.field(default=False, validator=of_type(bool))
    expected_total: Money | None = attrs.field(default=None, validator=_expected)
    notify: Contact | None = attrs.field(default=None, validator=attrs.validators.optional(of_type(Contact)))

    def __attrs_post_init__(self) -> None:
        """Check the invoice details are copied or typed in, not both."""
        if self.invoice_same_as_subscriber and self.invoice is not None:
            raise ValidationError(
                "invoice details are either the subscriber's or typed in, not both", rule="O2", field="invoice"
            )
