"""How a bank's CSV export is laid out: :class:`StatementFormat`, and presets for common exports.

Vietnamese banks export statements with a few title rows (bank, account, period) above the header, the
header in Vietnamese (sometimes bilingual: ``Số tiền ghi có/Credit``), amounts with thousands separators
(``1,200,000`` or ``1.200.000``), day-first dates, and a totals row at the end. A format names the columns
and says how to read the numbers and dates; it reads nothing itself.

The presets' column names are those that public parsers of these banks' exports look for; banks change
their exports, so a host checks them against its own file (a missing column is reported by name).
"""

from __future__ import annotations

import codecs
from typing import Any, Final

import attrs

from subscription_core.customers import fold
from subscription_core.errors import ValidationError, non_empty_text, optional, whole_number
from subscription_core.money import Currency

__all__ = ["BIDV", "DATE_FORMATS", "GENERIC", "PRESETS", "VIETCOMBANK", "StatementFormat"]

DATE_FORMATS: Final = (
    "%d/%m/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y",
    "%d-%m-%Y %H:%M:%S",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
)
"""Day-first dates and ISO dates, with or without a time; tried in this order. Never month-first."""
_SUMMARY: Final = ("tong so", "tong cong", "total", "so du cuoi ky", "closing balance")
_SEPARATORS: Final = frozenset({"", ",", ".", " ", "\u00a0", "'"})


def _text(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty column name", field=attribute.name, value=value)


def _separator(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in _SEPARATORS:
        raise ValidationError(f"must be one of {sorted(_SEPARATORS)!r}", field=attribute.name, value=value)


def _delimiter(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or len(value) != 1 or value in {'"', "\r", "\n"}:
        raise ValidationError(
            "must be one character other than a quote or a newline", field=attribute.name, value=value
        )


def _encoding(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise ValidationError("must be an encoding's name", field=attribute.name, value=value)
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValidationError("is not an encoding Python knows", field=attribute.name, value=value) from None


def _formats(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple) or not value or not all(isinstance(f, str) and "%" in f for f in value):
        raise ValidationError("must be a non-empty tuple of strptime formats", field=attribute.name, value=value)


def _texts(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple) or not all(isinstance(text, str) and text.strip() for text in value):
        raise ValidationError("must be a tuple of non-empty texts", field=attribute.name, value=value)


def _currency(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    Currency.of(value)  # type: ignore[arg-type]  # raises ValidationError for an unknown code


@attrs.frozen(kw_only=True)
class StatementFormat:
    """The layout of one bank's CSV statement export.

    Columns are named as the header row names them; case, diacritics and spacing are ignored, and a
    bilingual header matches on its part before ``/``, ``(`` or a line break (``Số tiền ghi có/Credit``
    matches ``Số tiền ghi có``). Money comes from one signed ``amount_column`` (a negative amount is a
    debit) or from a ``credit_column`` with an optional ``debit_column``. ``id_column`` is the bank's
    transaction id, which then identifies the line on every import; without it a line is identified by a
    digest of its row. ``reference_column`` is the bank's reference shown to staff (the id if not given).

    ``header_rows_skipped`` is the number of rows above the header; ``None`` finds the header as the first
    row naming every configured column. ``thousands`` and ``decimal`` are the separators in amounts, which
    must be grouped in threes when a thousands separator is used. A row whose first cell starts with one
    of ``summary_markers`` (a totals or balance row) is skipped and counted.

    Raises:
        ValidationError: no way to read amounts (neither ``amount_column`` nor ``credit_column``, or both),
            equal separators, an unknown encoding or currency, a bad delimiter or date format.
    """

    name: str = attrs.field(validator=non_empty_text())
    date_column: str = attrs.field(validator=_text)
    description_column: str = attrs.field(validator=_text)
    amount_column: str | None = attrs.field(default=None, validator=optional(_text))
    credit_column: str | None = attrs.field(default=None, validator=optional(_text))
    debit_column: str | None = attrs.field(default=None, validator=optional(_text))
    id_column: str | None = attrs.field(default=None, validator=optional(_text))
    reference_column: str | None = attrs.field(default=None, validator=optional(_text))
    date_formats: tuple[str, ...] = attrs.field(default=DATE_FORMATS, validator=_formats)
    thousands: str = attrs.field(default=",", validator=_separator)
    decimal: str = attrs.field(default=".", validator=_separator)
    delimiter: str = attrs.field(default=",", validator=_delimiter)
    encoding: str = attrs.field(default="utf-8-sig", validator=_encoding)
    header_rows_skipped: int | None = attrs.field(default=None, validator=optional(whole_number(0)))
    currency: str = attrs.field(default="VND", validator=_currency)
    summary_markers: tuple[str, ...] = attrs.field(default=_SUMMARY, validator=_texts)

    def __attrs_post_init__(self) -> None:
        """Check that amounts can be read one way only, and that the separators differ."""
        if (self.amount_column is None) == (self.credit_column is None):
            raise ValidationError(
                "name either amount_column or credit_column (with an optional debit_column)",
                field="amount_column",
                value=self.amount_column,
            )
        if self.debit_column is not None and self.credit_column is None:
            raise ValidationError(
                "a debit_column goes with a credit_column", field="debit_column", value=self.debit_column
            )
        if not self.decimal or self.decimal == self.thousands:
            raise ValidationError(
                "must be a separator other than the thousands one", field="decimal", value=self.decimal
            )
        names = [fold(name) for name in self.columns.values()]
        if len(set(names)) != len(names):
            raise ValidationError(
                "two roles name the same column", field="columns", value=sorted(self.columns.values())
            )

    @property
    def columns(self) -> dict[str, str]:
        """The configured columns by role (``date``, ``amount`` or ``credit``/``debit``, ``description``...)."""
        roles = {
            "date": self.date_column,
            "amount": self.amount_column,
            "credit": self.credit_column,
            "debit": self.debit_column,
            "description": self.description_column,
            "id": self.id_column,
            "reference": self.reference_column,
        }
        return {role: name for role, name in roles.items() if name is not None}

    @property
    def money(self) -> Currency:
        """The currency of every amount in the statement."""
        return Currency.of(self.currency)


GENERIC: Final = StatementFormat(
    name="generic", date_column="date", amount_column="amount", description_column="description"
)
"""A plain export: ``date``, a signed ``amount`` (``1,200,000.00``), ``description``; no transaction id."""

VIETCOMBANK: Final = StatementFormat(
    name="vietcombank",
    date_column="Ngày giao dịch",
    id_column="Số tham chiếu",
    debit_column="Số tiền ghi nợ",
    credit_column="Số tiền ghi có",
    description_column="Mô tả",
)
"""Vietcombank's account statement export, saved as CSV: its reference number identifies the transaction."""

BIDV: Final = StatementFormat(
    name="bidv",
    date_column="Ngày GD",
    id_column="Số tham chiếu",
    debit_column="Phát sinh Nợ",
    credit_column="Phát sinh Có",
    description_column="Mô tả",
)
"""BIDV's account statement export, saved as CSV (``STT | Ngày GD | Số tham chiếu | Mô tả | Phát sinh Nợ | ...``)."""

PRESETS: Final = {preset.name: preset for preset in (GENERIC, VIETCOMBANK, BIDV)}
"""The presets by name."""
