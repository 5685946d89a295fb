"""Catalogs as data: read a catalog from TOML, JSON or a plain dict, and write it back (rules C1-C6).

The file names the catalog's ``currency`` once at the top; every price is then a whole number or a decimal
text in that currency (``1_200_000``, ``"12.50"``), never a float. A VAT schedule is either one label
(``"KCT"``, ``"10%"``) or a list of periods ``{rate = "8%", start = 2025-07-01, end = 2026-12-31}`` (C6).
A cycle is written ``"1 month"``, ``"3 months"``, ``"30 days"`` or ``"1 year"``. ``docs/catalog.md``
describes the whole format.

Reading goes through one cattrs converter with detailed validation. A bad file raises one
:class:`CatalogError` listing every problem, each with its path
(``products[0].plans[2].options[0].price: must be >= 0, got -5``): unknown keys, missing keys, values of
the wrong kind, every field an object refuses, and then the whole-catalog problems (duplicate codes,
add-ons naming unknown plans, mixed currencies) once every item is well formed.

Hostile files are refused the same way, fast: a path with a NUL, a number of more than
:data:`~subscription_core.limits.MAX_NUMBER_TEXT` digits, and data nested deeper than
:data:`~subscription_core.limits.MAX_NESTING` levels each give a :class:`CatalogError` naming the limit.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
import re
import sys
import tomllib
import types
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, cast, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_structure_fn
from cattrs.v import format_exception

from subscription_core.catalog import Catalog, Cycle, CycleUnit
from subscription_core.errors import CatalogError, SubscriptionError, ValidationError
from subscription_core.limits import MAX_NESTING, MAX_NUMBER_TEXT
from subscription_core.money import Currency, Money
from subscription_core.tax import VatPeriod, VatRate, VatSchedule

__all__ = ["catalog_from_dict", "catalog_from_json", "catalog_from_toml", "catalog_to_dict", "load_catalog"]

# Stands in while the file's own currency is missing or unknown, so that the other problems are still found;
# its minor unit is fine enough never to refuse a price on its own.
_UNKNOWN_CURRENCY: Final = Currency("XXX", 18)
_CYCLE: Final = re.compile(r"^\s*(?:(\d{1,9})\s*)?(day|month|year)s?\s*$", re.IGNORECASE | re.ASCII)
_OWN_HOOKS: Final = (Currency, Money, Cycle, VatRate, VatSchedule)
_FLOAT: Final = 'must be a whole number or a decimal text such as "12.50", never a float (put decimals in quotes)'
_SHOWN_CHARS: Final = 60

Hook = Callable[[Any, Any], object]


def load_catalog(path: str | os.PathLike[str]) -> Catalog:
    """Read the catalog in the TOML file at ``path`` (JSON when the name ends in ``.json``).

    Raises:
        CatalogError: the file cannot be read, is not valid TOML or JSON, or describes an invalid catalog;
            every problem is listed with its path.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CatalogError([f"{file}: is not UTF-8 text"]) from None
    except ValueError:  # the only other ValueError of reading: the OS cannot name a path with a NUL
        raise CatalogError(["path: must not contain a NUL character"]) from None
    except OSError as exc:
        raise CatalogError([f"{file}: cannot be read ({exc.strerror or exc})"]) from None
    return catalog_from_json(text) if file.suffix.lower() == ".json" else catalog_from_toml(text)


def catalog_from_toml(text: str) -> Catalog:
    """Read a catalog from TOML text.

    Raises:
        CatalogError: the text is not valid TOML or describes an invalid catalog (every problem listed).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError([f"not valid TOML: {exc}"]) from None
    except RecursionError:
        raise CatalogError([_TOO_DEEP]) from None
    except ValueError:  # tomllib's only other refusal: an integer longer than Python converts
        raise CatalogError([f"not valid TOML: a number has more than {sys.get_int_max_str_digits()} digits"]) from None
    return catalog_from_dict(data)


def catalog_from_json(text: str) -> Catalog:
    """Read a catalog from JSON text (the same shape as the TOML file; dates as ``"2025-07-01"``).

    Raises:
        CatalogError: the text is not valid JSON or describes an invalid catalog (every problem listed).
    """
    try:
        data = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise CatalogError([f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None
    except RecursionError:
        raise CatalogError([_TOO_DEEP]) from None
    except ValidationError as exc:
        raise CatalogError([_line("catalog", exc)]) from None
    return catalog_from_dict(data)


_TOO_DEEP: Final = f"catalog: nests deeper than {MAX_NESTING} levels"


def _json_int(text: str) -> int:
    # Called by the JSON decoder on each integer's digits: a long one is refused before Python converts it.
    if len(text) > MAX_NUMBER_TEXT:
        raise ValidationError(f"has a number of more than {MAX_NUMBER_TEXT} digits", value=f"{text[:20]}...")
    return int(text)


def _depth_problem(data: object) -> str | None:
    """The problem of data nested deeper than MAX_NESTING, found without recursion; ``None`` if it is not."""
    level: list[object] = [data]
    for _depth in range(MAX_NESTING + 1):
        level = [
            item
            for value in level
            if isinstance(value, Mapping | list | tuple)
            for item in (value.values() if isinstance(value, Mapping) else value)
        ]
        if not level:
            return None
    return _TOO_DEEP


def catalog_from_dict(data: Mapping[str, Any]) -> Catalog:
    """Build a catalog from plain data, as ``tomllib.load``, ``json.load`` or :func:`catalog_to_dict` give it.

    Raises:
        CatalogError: with every problem found, each prefixed by its path in ``data``.
    """
    try:
        table = _as_table(data)
    except ValidationError as exc:
        raise CatalogError([_line("catalog", exc)]) from None
    if (too_deep := _depth_problem(table)) is not None:
        raise CatalogError([too_deep])
    converter = _converter(_currency_of(table.get("currency")))
    try:
        return converter.structure(table, Catalog)
    except (ClassValidationError, IterableValidationError, SubscriptionError) as exc:
        raise CatalogError(list(_problems(exc, ""))) from None


def catalog_to_dict(catalog: Catalog) -> dict[str, Any]:
    """Return ``catalog`` as plain data that :func:`catalog_from_dict` reads back to an equal catalog.

    The result holds only dicts, lists, strings, ints and bools (dates as ISO text), so ``json.dumps``
    writes it as it is; fields left at their default are omitted.
    """
    result: dict[str, Any] = _converter(catalog.currency).unstructure(catalog)
    return result


def _currency_of(value: object) -> Currency:
    try:
        return Currency.of(value) if isinstance(value, str) else _UNKNOWN_CURRENCY
    except ValidationError:
        return _UNKNOWN_CURRENCY


# --- the converter -------------------------------------------------------------------------------------


def _converter(currency: Currency) -> Converter:
    """The converter of catalog files, reading bare prices as amounts of ``currency``.

    A fresh one per call: the catalog's currency is part of its configuration, and nothing is shared.
    """
    converter = Converter(detailed_validation=True, forbid_extra_keys=True, omit_if_default=True)
    for kind, structure in ((str, _text), (int, _whole), (bool, _flag), (dt.date, _date)):
        converter.register_structure_hook(kind, structure)
    converter.register_unstructure_hook(dt.date, dt.date.isoformat)
    converter.register_structure_hook_factory(_is_enum, _enum_hook)
    converter.register_structure_hook_factory(_is_sequence, lambda t: _sequence_hook(converter, t))
    converter.register_unstructure_hook_factory(_is_sequence, lambda t: _sequence_out(converter, t))
    converter.register_structure_hook(Currency, lambda value, _: Currency.of(value))
    converter.register_unstructure_hook(Currency, lambda currency: currency.code)
    converter.register_structure_hook(Money, _money_hook(currency))
    converter.register_unstructure_hook(Money, _money_out(currency))
    converter.register_structure_hook(Cycle, _cycle)
    converter.register_unstructure_hook(Cycle, _cycle_out)
    converter.register_structure_hook(VatRate, _vat_rate)
    converter.register_unstructure_hook(VatRate, lambda rate: rate.label)
    converter.register_structure_hook(VatSchedule, _vat_schedule_hook(converter))
    converter.register_unstructure_hook(VatSchedule, _vat_schedule_out(converter))
    converter.register_structure_hook_factory(_is_model, lambda cls: _model_hook(converter, cls))
    return converter


def _is_model(kind: object) -> bool:
    return isinstance(kind, type) and attrs.has(kind) and kind not in _OWN_HOOKS


def _is_enum(kind: object) -> bool:
    return isinstance(kind, type) and issubclass(kind, enum.Enum)


def _is_sequence(kind: object) -> bool:
    return get_origin(kind) is frozenset or (get_origin(kind) is tuple and get_args(kind)[1:] == (Ellipsis,))


def _text(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise ValidationError("must be a text in quotes", value=value)
    return value


def _whole(value: object, _: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("must be a whole number", value=value)
    return value


def _flag(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError("must be true or false", value=value)
    return value


def _date(value: object, _: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError("must be a date such as 2025-07-01", value=value)


def _enum_hook(kind: type[enum.Enum]) -> Hook:
    allowed = ", ".join(str(member.value) for member in kind)

    def structure(value: object, _: object) -> enum.Enum:
        try:
            return kind(value)
        except (ValueError, TypeError):
            raise ValidationError(f"must be one of {allowed}", value=value) from None

    return structure


def _sequence_hook(converter: Converter, kind: object) -> Hook:
    make: Callable[[list[object]], object] = frozenset if get_origin(kind) is frozenset else tuple
    as_list = cast("type[list[object]]", types.GenericAlias(list, (get_args(kind)[0],)))

    def structure(value: object, _: object) -> object:
        if not isinstance(value, list | tuple):
            raise ValidationError("must be a list [...]", value=value)
        return make(converter.structure(value, as_list))

    return structure


def _sequence_out(converter: Converter, kind: object) -> Callable[[Any], list[object]]:
    item = get_args(kind)[0]
    if get_origin(kind) is frozenset:
        return lambda values: [converter.unstructure(v, item) for v in sorted(values)]
    return lambda values: [converter.unstructure(v, item) for v in values]


def _money_hook(currency: Currency) -> Hook:
    def structure(value: object, _: object) -> Money:
        if isinstance(value, float):
            raise ValidationError(_FLOAT, rule="P7", value=value)
        if isinstance(value, str):
            amount, _space, code = value.strip().partition(" ")
            return Money.of(amount, Currency.of(code.strip()) if code.strip() else currency)
        if isinstance(value, int) and not isinstance(value, bool):
            return Money.of(value, currency)
        raise ValidationError('must be a whole number or a decimal text such as "12.50"', value=value)

    return structure


def _money_out(currency: Currency) -> Callable[[Money], int | str]:
    def unstructure(money: Money) -> int | str:
        if money.currency != currency:
            return f"{money.amount:f} {money.currency.code}"
        if money.amount == money.amount.to_integral_value():
            return int(money.amount)
        return f"{money.amount:f}"

    return unstructure


def _cycle(value: object, _: object) -> Cycle:
    match = _CYCLE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValidationError('must be a cycle such as "1 month", "3 months", "30 days" or "1 year"', value=value)
    return Cycle(CycleUnit(match[2].lower()), int(match[1] or 1))


def _cycle_out(cycle: Cycle) -> str:
    return f"{cycle.length} {cycle.unit.value}{'' if cycle.length == 1 else 's'}"


def _vat_rate(value: object, _: object) -> VatRate:
    if not isinstance(value, str):
        raise ValidationError('must be a VAT label such as "10%" or "KCT"', rule="C6", value=value)
    return VatRate.parse(value)


def _vat_schedule_hook(converter: Converter) -> Hook:
    def structure(value: object, _: object) -> VatSchedule:
        if isinstance(value, str):
            return VatSchedule.flat(VatRate.parse(value))
        if isinstance(value, list | tuple):
            return VatSchedule(converter.structure(value, tuple[VatPeriod, ...]))
        raise ValidationError(
            'must be a VAT label such as "10%" or a list of periods {rate, start, end}', rule="C6", value=value
        )

    return structure


def _vat_schedule_out(converter: Converter) -> Callable[[VatSchedule], str | list[Any]]:
    def unstructure(schedule: VatSchedule) -> str | list[Any]:
        first = schedule.periods[0].rate
        if schedule == VatSchedule.flat(first):
            return first.label
        return [converter.unstructure(period, VatPeriod) for period in schedule.periods]

    return unstructure


def _as_table(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError("must be a table of keys and values", value=value)
    return value


def _model_hook(converter: Converter, kind: type[Any]) -> Hook:
    attrs.resolve_types(kind)
    generated = make_dict_structure_fn(kind, converter)

    def structure(value: object, _: object) -> object:
        table = _as_table(value)
        try:
            return generated(table, kind)
        except ClassValidationError as exc:
            raise _each_refusal(converter, kind, table, exc) from None

    return structure


def _each_refusal(
    converter: Converter, kind: type[Any], table: Mapping[str, Any], exc: ClassValidationError
) -> ClassValidationError:
    """Report every field the object refuses, not only the first one its constructor trips on.

    Each field that could be read is checked alone by its validator; the constructor is tried again, for
    the checks that span fields, only when every field was read and passed.
    """
    unreadable, others = exc.group_exceptions()
    skipped = {note.name for _, note in unreadable}
    extra = [e for e in others if isinstance(e, ForbiddenExtraKeysError)]
    fields = [a for a in attrs.fields(kind) if a.init and a.alias in table and a.name not in skipped]
    values = {a.alias: converter.structure(table[a.alias], a.type) for a in fields}
    refusals = [refused for a in fields if (refused := _refusal(a, values[a.alias])) is not None]
    if not unreadable and not refusals:
        try:
            kind(**values)
        except SubscriptionError as refused:
            refusals.append(refused)
    if not extra and not refusals:
        return exc
    order = {a.name: i for i, a in enumerate(attrs.fields(kind))}
    named = [*((note.name, e) for e, note in unreadable), *((r.field.rpartition(".")[2], r) for r in refusals)]
    named.sort(key=lambda pair: order.get(pair[0], len(order)))
    return ClassValidationError(exc.message, [*(e for _, e in named), *extra], kind)


def _refusal(field: attrs.Attribute[Any], value: object) -> SubscriptionError | None:
    if field.validator is None:
        return None
    try:
        field.validator(None, field, value)
    except SubscriptionError as refused:
        return refused
    return None


# --- problems as lines ---------------------------------------------------------------------------------


def _problems(exc: BaseException, path: str) -> Iterator[str]:
    """Walk cattrs' exception groups, following the notes that name each field and index."""
    if isinstance(exc, ClassValidationError):
        fields = {id(sub): note.name for sub, note in exc.group_exceptions()[0]}
        for sub in exc.exceptions:  # in field order, whether a field failed to read or was refused
            name = fields.get(id(sub))
            yield from _object_problems(sub, path, exc.cl) if name is None else _problems(sub, _join(path, name))
    elif isinstance(exc, IterableValidationError):
        items, others = exc.group_exceptions()
        for sub, item_note in items:
            yield from _problems(sub, f"{path}[{item_note.index}]")
        for sub in others:
            yield from _problems(sub, path)
    elif isinstance(exc, CatalogError):
        yield from (_join(path, problem) for problem in exc.problems)
    elif isinstance(exc, SubscriptionError):
        yield _line(path or "catalog", exc)
    elif isinstance(exc, KeyError):
        yield f"{path}: is required"
    else:
        yield f"{path or 'catalog'}: {format_exception(exc, None)}"


def _object_problems(exc: BaseException, path: str, kind: type) -> Iterator[str]:
    """Problems of a whole object: unknown keys, and fields its constructor refused (named by the error)."""
    names = [a.alias for a in attrs.fields(kind) if a.init] if attrs.has(kind) else []
    if isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(map(str, exc.extra_fields)):
            yield f"{_join(path, key)}: unknown key (expected one of {', '.join(names)})"
    elif isinstance(exc, SubscriptionError) and not isinstance(exc, CatalogError):
        name = exc.field.rpartition(".")[2]
        yield _line(_join(path, name) if name in names else path or "catalog", exc)
    else:
        yield from _problems(exc, path)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _line(path: str, exc: SubscriptionError) -> str:
    return f"{path}: {exc.message}, got {_shown(exc.value)}" if exc.has_value else f"{path}: {exc.message}"


def _shown(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple) and len(repr(value)) > _SHOWN_CHARS:
        return "a list"
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else f"{text[: _SHOWN_CHARS - 3]}..."
