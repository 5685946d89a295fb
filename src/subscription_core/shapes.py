"""JSON shapes: the public results and inputs a host passes over HTTP, as plain JSON data and back.

One cattrs converter (:data:`converter`) turns a result into JSON data (:func:`to_dict`) and JSON data into
an input or a result (:func:`from_dict`); :func:`schema_of` gives the JSON Schema (draft 2020-12) of each
shape, generated from the attrs fields and their types. The domain classes know nothing of this (the house
style: serialization lives at the edge). The rules of the plain form:

* money is ``{"amount": "12000000", "currency": "VND"}``: the amount is decimal text, never a float;
* other decimals are text; dates are ISO dates (``2026-11-23``);
* instants are ISO 8601 datetimes in UTC written with ``Z`` (``2026-11-23T02:00:00Z``); any explicit
  offset is read and turned to UTC, an instant without one is refused (D2);
* enums are their values; a currency is its ISO code; a tax code its canonical text;
* tuples are lists, frozensets sorted lists; an unknown key is refused (a typo is never silently dropped);
* an actor carries a ``"type"`` tag (``"actor"`` or ``"customer_actor"``), a promotion's benefit one
  (``"percent"`` or ``"amount"``).
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import types
import typing
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, Final, TypeVar

import attrs
from cattrs import Converter, transform_error
from cattrs.errors import BaseValidationError, ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn
from cattrs.strategies import configure_tagged_union, include_subclasses

from subscription_core import customers, subscriptions
from subscription_core.customers import TaxCode
from subscription_core.errors import SubscriptionError, ValidationError
from subscription_core.money import Currency, Money
from subscription_core.promotions import AmountOff, PercentOff

__all__ = ["JSON_SCHEMA_DIALECT", "converter", "from_dict", "schema_of", "to_dict"]

T = TypeVar("T")
JsonObject = dict[str, Any]
"""A shape as plain JSON data."""

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema draft every :func:`schema_of` answer is written in."""

_ACTOR_TAGS: Final[dict[type, str]] = {subscriptions.Actor: "actor", customers.Actor: "customer_actor"}
_BENEFIT_TAGS: Final[dict[type, str]] = {PercentOff: "percent", AmountOff: "amount"}
_TAG: Final = "type"
_DECIMAL_PATTERN: Final = r"^-?[0-9]+(\.[0-9]+)?$"


def _instant_to_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _instant_from_text(value: object, _type: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ValidationError("must be an ISO 8601 datetime text", rule="D2", field="datetime", value=value)
    instant = dt.datetime.fromisoformat(value)
    if instant.utcoffset() is None:
        raise ValidationError("an instant must carry its UTC offset", rule="D2", field="datetime", value=value)
    return instant.astimezone(dt.UTC)


def _date_from_text(value: object, _type: object) -> dt.date:
    if not isinstance(value, str):
        raise ValidationError("must be an ISO date text", field="date", value=value)
    return dt.date.fromisoformat(value)


def _decimal_from_text(value: object, _type: object) -> Decimal:
    # Decimal text only: a JSON number may have passed through a float, and "NaN" or "1E+3" are no amounts.
    if not isinstance(value, str):
        raise ValidationError('must be a decimal text such as "12000000"', field="decimal", value=value)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValidationError("is not a decimal number", field="decimal", value=value) from None
    if not number.is_finite() or "e" in value.lower():
        raise ValidationError("must be plain decimal text", field="decimal", value=value)
    return number


def _money_to_data(money: Money) -> JsonObject:
    return {"amount": str(money.amount), "currency": money.currency.code}


def _money_from_data(value: object, _type: object) -> Money:
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise ValidationError('must be {"amount": text, "currency": code}', field="money", value=value)
    return Money(_decimal_from_text(value["amount"], Decimal), _currency_from_code(value["currency"], Currency))


def _currency_from_code(value: object, _type: object) -> Currency:
    if not isinstance(value, str):
        raise ValidationError("must be a currency code", field="currency", value=value)
    return Currency.of(value)


def _tax_code_from_text(value: object, _type: object) -> TaxCode:
    return TaxCode(value=value)


def _strict(kind: type, value: object, _type: object) -> object:
    # cattrs would turn 1 into "1" or True; JSON input must already have the declared type.
    if type(value) is not kind:
        raise ValidationError(f"must be a JSON {_JSON_NAMES[kind]}", field=kind.__name__, value=value)
    return value


_JSON_NAMES: Final[dict[type, str]] = {str: "string", int: "integer", bool: "boolean"}


def _configure(conv: Converter) -> Converter:
    for kind in _JSON_NAMES:
        conv.register_structure_hook(kind, partial(_strict, kind))
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, _decimal_from_text)
    conv.register_unstructure_hook(dt.datetime, _instant_to_text)
    conv.register_structure_hook(dt.datetime, _instant_from_text)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_structure_hook(dt.date, _date_from_text)
    conv.register_unstructure_hook(Money, _money_to_data)
    conv.register_structure_hook(Money, _money_from_data)
    conv.register_unstructure_hook(Currency, lambda currency: currency.code)
    conv.register_structure_hook(Currency, _currency_from_code)
    conv.register_unstructure_hook(TaxCode, str)
    conv.register_structure_hook(TaxCode, _tax_code_from_text)
    configure_tagged_union(PercentOff | AmountOff, conv, tag_generator=_BENEFIT_TAGS.__getitem__, tag_name=_TAG)
    tagged = partial(configure_tagged_union, tag_generator=_ACTOR_TAGS.__getitem__, tag_name=_TAG)
    include_subclasses(subscriptions.Actor, conv, union_strategy=tagged)
    # A field declared as the customer-side actor gets its tag written too: read it back the same way.
    plain = make_dict_structure_fn(customers.Actor, conv, _cattrs_forbid_extra_keys=True)
    conv.register_structure_hook(customers.Actor, partial(_customer_actor, plain))
    return conv


def _customer_actor(plain: Callable[[Any, type], customers.Actor], value: object, _type: object) -> customers.Actor:
    tag = _ACTOR_TAGS[customers.Actor]
    if not isinstance(value, dict) or value.get(_TAG) != tag:
        raise ValidationError(f'must be an actor object with "{_TAG}": "{tag}"', field="actor", value=value)
    return plain({key: item for key, item in value.items() if key != _TAG}, customers.Actor)


converter: Final = _configure(
    Converter(unstruct_collection_overrides={AbstractSet: sorted, tuple: list}, forbid_extra_keys=True)
)
"""The one converter of the JSON shapes; :func:`to_dict` and :func:`from_dict` use it."""


def to_dict(value: object) -> JsonObject:
    """Return ``value`` (a result or an input of the library, an attrs object or Money) as plain JSON data.

    The data holds only ``str``, ``int``, ``bool``, ``None``, lists and dicts: ``json.dumps`` takes it as is.
    """
    data: JsonObject = converter.unstructure(value)
    return data


def from_dict(data: object, kind: type[T]) -> T:
    """Return the ``kind`` object that the JSON data ``data`` describes, validated as ``kind`` validates.

    Raises:
        ValidationError: ``data`` does not describe a valid ``kind``; ``field`` is the kind's name and the
            message lists every problem with its path (``$.lines[0].quantity``).
    """
    try:
        return converter.structure(data, kind)
    except BaseValidationError as exc:
        problems = transform_error(exc, path="$", format_exception=_problem)
        first = problems[0].rpartition(" @ ")[2].removeprefix("$").removeprefix(".") if problems else ""
        raise ValidationError(
            f"not a valid {kind.__name__}: {'; '.join(problems)}", field=first or kind.__name__
        ) from exc
    except SubscriptionError as exc:
        raise ValidationError(f"not a valid {kind.__name__}: {exc} @ $", field=kind.__name__) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # cattrs met something that is not even the right JSON type (a list where an object belongs).
        raise ValidationError(f"not a valid {kind.__name__}: must be a JSON object @ $", field=kind.__name__) from exc


def _problem(exc: BaseException, type_: type | None) -> str:
    # The library's own errors already say what is wrong (rule, field, masked value): keep their words.
    if isinstance(exc, SubscriptionError):
        return str(exc)
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown keys {sorted(exc.extra_fields)}"
    if isinstance(exc, KeyError):
        return "required field missing"
    name = getattr(type_, "__name__", "a JSON object")
    return f"must be {name}"


def schema_of(kind: type) -> JsonObject:
    """The JSON Schema (draft 2020-12) that :func:`to_dict` of a ``kind`` object satisfies.

    Generated from the attrs fields and their types, so it follows the classes as they change. Every
    field :func:`to_dict` writes is listed; fields without a default are required; no other key is allowed.
    """
    defs: dict[str, JsonObject] = {}
    root = _schema(kind, defs)
    return {"$schema": JSON_SCHEMA_DIALECT, "title": kind.__name__, **root, "$defs": defs}


def _schema(kind: Any, defs: dict[str, JsonObject]) -> JsonObject:  # noqa: ANN401 - any type form
    if kind is Money:  # one definition, referred to from every amount
        defs.setdefault("Money", copy.deepcopy(_MONEY))
        return {"$ref": "#/$defs/Money"}
    leaf = _leaf(kind)
    if leaf is not None:
        return leaf
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _union(typing.get_args(kind), defs)
    if origin in (tuple, frozenset, list):
        return _sequence(origin, typing.get_args(kind), defs)
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(typing.get_args(kind)[1], defs)}
    if isinstance(kind, type) and attrs.has(kind):
        return _reference(kind, defs)
    msg = f"no JSON shape for {kind!r}"
    raise TypeError(msg)


def _leaf(kind: Any) -> JsonObject | None:  # noqa: ANN401 - any type form
    if kind in _SPECIAL:
        return dict(_SPECIAL[kind])
    if kind in _JSON_NAMES:
        return {"type": _JSON_NAMES[kind]}
    if kind is type(None):
        return {"type": "null"}
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return {"enum": [member.value for member in kind]}
    return None


def _union(members: tuple[Any, ...], defs: dict[str, JsonObject]) -> JsonObject:
    return {"anyOf": [_schema(member, defs) for member in members]}


def _sequence(origin: Any, args: tuple[Any, ...], defs: dict[str, JsonObject]) -> JsonObject:  # noqa: ANN401
    if origin is tuple and args[-1:] != (Ellipsis,):  # a fixed-length tuple, not tuple[X, ...]
        items = [_schema(arg, defs) for arg in args]
        return {"type": "array", "prefixItems": items, "items": False, "minItems": len(items)}
    schema: JsonObject = {"type": "array", "items": _schema(args[0], defs)}
    return {**schema, "uniqueItems": True} if origin is frozenset else schema


def _reference(kind: type, defs: dict[str, JsonObject]) -> JsonObject:
    if kind is subscriptions.Actor:  # an actor of either class may stand here, told apart by its tag
        return {"anyOf": [_object(actor, defs) for actor in _ACTOR_TAGS]}
    return _object(kind, defs)


def _object(kind: type, defs: dict[str, JsonObject]) -> JsonObject:
    # Both actor classes are named Actor: their definitions are named by their tags instead.
    tags = _ACTOR_TAGS if issubclass(kind, subscriptions.Actor) else _BENEFIT_TAGS
    name = tags[kind] if kind in _ACTOR_TAGS else kind.__name__
    ref = {"$ref": f"#/$defs/{name}"}
    if name in defs:
        return ref
    defs[name] = {}  # placed first: a class may refer to itself
    fields = [field for field in attrs.fields(attrs.resolve_types(kind)) if field.init]
    properties = {field.alias: _schema(field.type, defs) for field in fields}
    required = [field.alias for field in fields if field.default is attrs.NOTHING]
    if kind in tags:
        properties = {_TAG: {"const": tags[kind]}, **properties}
        required = [_TAG, *required]
    defs[name] = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    return ref


_SPECIAL: Final[dict[Any, JsonObject]] = {
    Decimal: {"type": "string", "pattern": _DECIMAL_PATTERN},
    dt.date: {"type": "string", "format": "date"},
    dt.datetime: {"type": "string", "format": "date-time", "pattern": r"(Z|[+-]\d\d:\d\d)$"},
    Currency: {"type": "string", "pattern": "^[A-Z]{3}$"},
    TaxCode: {"type": "string"},
}
_MONEY: Final[JsonObject] = {
    "type": "object",
    "properties": {"amount": {"type": "string", "pattern": _DECIMAL_PATTERN}, "currency": _SPECIAL[Currency]},
    "required": ["amount", "currency"],
    "additionalProperties": False,
}
