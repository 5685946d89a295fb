"""One cattrs converter between the stored domain entities and plain JSON data, exact both ways.

Every entity the SQL adapter stores keeps its whole self in a JSON document made here, so that reading it
back gives an equal object (``from_document(to_document(x), type(x)) == x``). The rules of the plain form:

* money is ``{"amount": "1200000", "currency": "VND"}``: the amount as decimal text, exponent kept;
* other decimals are text; dates are ISO dates; instants are ISO datetimes in UTC (``+00:00``);
* enums are their values; a tax code is its canonical text; a currency its ISO code;
* frozensets are sorted lists, tuples are lists;
* a promotion's benefit carries a ``"type"`` tag (``"percent"`` or ``"amount"``), and an actor in a
  subscription's history carries one (``"actor"`` or ``"customer_actor"``), since a customer-side actor
  (``customers.Actor``) may stand where the lifecycle's plain actor is declared.

The domain classes stay free of serialization rules (the house style): all of them live here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, Final, TypeVar, get_args, get_origin

from cattrs import Converter, transform_error
from cattrs.errors import BaseValidationError, IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_unstructure_fn, override
from cattrs.strategies import configure_tagged_union, include_subclasses

from subscription_core import customers, subscriptions
from subscription_core.customers import TaxCode
from subscription_core.errors import SubscriptionError, ValidationError
from subscription_core.money import Currency, Money
from subscription_core.promotions import AmountOff, PercentOff
from subscription_core.subscriptions import HistoryEntry, Subscription

__all__ = ["converter", "from_document", "history_entry_document", "subscription_row_document", "to_document"]

T = TypeVar("T")

Document = dict[str, Any]
"""An entity as plain JSON data."""

_ACTOR_TAGS: Final[dict[type, str]] = {subscriptions.Actor: "actor", customers.Actor: "customer_actor"}
_BENEFIT_TAGS: Final[dict[type, str]] = {PercentOff: "percent", AmountOff: "amount"}


def _instant_to_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _instant_from_text(value: object, _type: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ValidationError("must be an ISO datetime text", field="datetime", value=value)
    instant = dt.datetime.fromisoformat(value)
    if instant.utcoffset() is None:
        raise ValidationError("a stored instant must carry its UTC offset", rule="D2", field="datetime", value=value)
    return instant.astimezone(dt.UTC)


def _date_from_text(value: object, _type: object) -> dt.date:
    if not isinstance(value, str):
        raise ValidationError("must be an ISO date text", field="date", value=value)
    return dt.date.fromisoformat(value)


def _decimal_from_text(value: object, _type: object) -> Decimal:
    # Stored decimals are always text; a float here would mean a document written by something else.
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValidationError("must be a decimal text", field="decimal", value=value)
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValidationError("is not a number", field="decimal", value=value) from None


def _money_to_data(money: Money) -> Document:
    return {"amount": str(money.amount), "currency": money.currency.code}


def _money_from_data(value: Any, _type: object) -> Money:  # noqa: ANN401 - plain JSON data
    return Money(_decimal_from_text(value["amount"], Decimal), Currency.of(value["currency"]))


def _currency_from_code(value: object, _type: object) -> Currency:
    if not isinstance(value, str):
        raise ValidationError("must be a currency code", field="currency", value=value)
    return Currency.of(value)


def _tax_code_from_text(value: object, _type: object) -> TaxCode:
    return TaxCode(value=value)


def _is_tuple_of(kind: object) -> bool:
    """``tuple[X, ...]`` with a class ``X`` (the entities' collections); ``tuple[Any, ...]`` stays cattrs'."""
    args = get_args(kind)
    return get_origin(kind) is tuple and args[1:] == (Ellipsis,) and args[0] is not Any


def _tuple_to_list(kind: Any, conv: Converter) -> Callable[[tuple[Any, ...]], list[Any]]:  # noqa: ANN401 - a type
    # The same list cattrs makes, without its generator per tuple: most tuples here are empty or short.
    hook = conv.get_unstructure_hook(get_args(kind)[0])
    return lambda items: [hook(item) for item in items]


def _tuple_from_list(kind: Any, conv: Converter) -> Callable[[Any, object], tuple[Any, ...]]:  # noqa: ANN401 - a type
    element = get_args(kind)[0]
    hook = conv.get_structure_hook(element)

    def structure(data: Any, _kind: object) -> tuple[Any, ...]:  # noqa: ANN401 - plain JSON data
        # One pass, so that ``data`` may be an iterator (the order repository streams a big order's lines);
        # every failing item is collected with its index, as cattrs reports them.
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(data):
            try:
                items.append(hook(item, element))
            except Exception as exc:  # noqa: BLE001 - collected, as cattrs does, and raised together
                exc.__notes__ = [*getattr(exc, "__notes__", []), _note(kind, index, element)]
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {kind!r}", errors, kind)
        return tuple(items)

    return structure


def _note(kind: object, index: int, element: object) -> IterableValidationNote:
    return IterableValidationNote(f"Structuring {kind} @ index {index}", index, element)


def _configure(conv: Converter) -> Converter:
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, _decimal_from_text)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_structure_hook(dt.date, _date_from_text)
    conv.register_unstructure_hook(dt.datetime, _instant_to_text)
    conv.register_structure_hook(dt.datetime, _instant_from_text)
    conv.register_unstructure_hook(Money, _money_to_data)
    conv.register_structure_hook(Money, _money_from_data)
    conv.register_unstructure_hook(Currency, lambda currency: currency.code)
    conv.register_structure_hook(Currency, _currency_from_code)
    conv.register_unstructure_hook(TaxCode, str)
    conv.register_structure_hook(TaxCode, _tax_code_from_text)
    configure_tagged_union(PercentOff | AmountOff, conv, tag_generator=_BENEFIT_TAGS.__getitem__, tag_name="type")
    tagged = partial(configure_tagged_union, tag_generator=_ACTOR_TAGS.__getitem__, tag_name="type")
    include_subclasses(subscriptions.Actor, conv, union_strategy=tagged)
    conv.register_unstructure_hook_factory(_is_tuple_of, _tuple_to_list)
    conv.register_structure_hook_factory(_is_tuple_of, _tuple_from_list)
    return conv


converter: Final = _configure(Converter(unstruct_collection_overrides={AbstractSet: sorted, tuple: list}))
"""The one converter of the SQL adapter; :func:`to_document` and :func:`from_document` use it."""


def to_document(entity: object) -> Document:
    """Return ``entity`` (an attrs domain object) as plain JSON data."""
    data: Document = converter.unstructure(entity)
    return data


def from_document(data: Document, kind: type[T]) -> T:
    """Return the ``kind`` object that ``data`` describes.

    Raises:
        ValidationError: the data does not describe a valid ``kind`` (a document corrupted or written by
            an incompatible version); the message lists every problem with its path.
    """
    try:
        return converter.structure(data, kind)
    except BaseValidationError as exc:
        problems = "; ".join(transform_error(exc, path=kind.__name__))
        raise ValidationError(f"a stored document cannot be read: {problems}", field=kind.__name__) from exc
    except SubscriptionError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"a stored document cannot be read: {exc!r}", field=kind.__name__) from exc


# A stored subscription's row holds it without its history, whose entries are rows of their own (S9): a save
# encodes only the entries added since the stored version, not again the whole history for each change.
_subscription_row: Final = make_dict_unstructure_fn(Subscription, converter, history=override(omit=True))
_history_entry: Final = converter.get_unstructure_hook(HistoryEntry)


def subscription_row_document(subscription: Subscription) -> Document:
    """Return the subscription as :func:`to_document` does, without its ``"history"`` key and its entries."""
    return _subscription_row(subscription)


def history_entry_document(entry: HistoryEntry) -> Document:
    """Return one history entry as it stands in :func:`to_document`'s ``"history"`` list."""
    data: Document = _history_entry(entry)
    return data
