"""Reading a bank's CSV statement export into statement lines, reporting every row it cannot read (Y3).

:func:`read_statement` decodes the file (a byte-order mark is dropped), finds the header row under the
bank's title rows, and turns each credit row into a :class:`~subscription_core.statements.StatementLine`
and each debit row into a :class:`~subscription_core.refunds.RefundDebit` (money sent: perhaps a bank
refund, confirmed by its reference, Y8). Totals rows are skipped and counted, blank rows ignored; a row that cannot
be read becomes a :class:`RowProblem` (its row number and why, never its content), so nothing is lost
silently. A file that cannot be read at all (wrong encoding, broken quoting, a missing column) raises
:class:`~subscription_core.errors.ValidationError`, never a ``UnicodeDecodeError`` or ``csv.Error``.

Each line's id is the bank's transaction id when the format names that column. Otherwise it is a digest
of the row's booking instant, amount, description and the number of identical rows above it in the file,
so identical rows (two equal transfers on one day) stay distinct and reading the file again gives the same
ids; a transaction then keeps its id across files only if the rows identical to it come along with it. A
debit's digest is marked as a debit, so a credit and a debit alike in all else get two ids.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Final

import attrs

from subscription_core.calendar import VIETNAM_TZ, start_of_local_day
from subscription_core.customers import fold
from subscription_core.errors import ValidationError, any_text, optional, tuple_of, whole_number
from subscription_core.limits import EARLIEST_DATE, LATEST_DATE, MAX_AMOUNT, MAX_AMOUNT_DIGITS
from subscription_core.money import CONTEXT, Money
from subscription_core.refunds import RefundDebit
from subscription_core.statements import MAX_LINE_ID, StatementLine
from subscription_core_adapters.statements.formats import StatementFormat

__all__ = ["HEADER_SEARCH_ROWS", "RowProblem", "StatementRead", "read_statement"]

HEADER_SEARCH_ROWS: Final = 50
"""How many rows from the top are searched for the header when the format does not say where it is."""
_TIME_DIRECTIVES: Final = ("%H", "%I", "%M", "%S", "%z")
_VND_SIGNS: Final = ("VNĐ", "VND", "đ", "₫")


@attrs.frozen(kw_only=True)
class RowProblem:
    """A row that could not be read: its number as a spreadsheet shows it (title rows counted), and why.

    The reason names the column and the kind of problem, never the row's content (it may be personal).
    """

    row: int = attrs.field(validator=whole_number(1))
    reason: str = attrs.field(validator=any_text())
    column: str | None = attrs.field(default=None, validator=optional(any_text()))


@attrs.frozen(kw_only=True)
class StatementRead:
    """What a statement file held: its credit and debit lines in file order, the rows that could not be read.

    ``debit_lines`` are the money sent (for ``confirm_bank_refunds``, Y8); ``debits`` counts them;
    ``summaries`` counts the totals or balance rows skipped; ``header_row`` is the header's row number.
    """

    lines: tuple[StatementLine, ...] = attrs.field(validator=tuple_of(StatementLine))
    problems: tuple[RowProblem, ...] = attrs.field(validator=tuple_of(RowProblem))
    debits: int = attrs.field(validator=whole_number(0))
    summaries: int = attrs.field(validator=whole_number(0))
    header_row: int = attrs.field(validator=whole_number(1))
    debit_lines: tuple[RefundDebit, ...] = attrs.field(default=(), validator=tuple_of(RefundDebit))


@attrs.frozen
class _Debit:
    """The amount of a row that moves money out."""

    amount: Decimal


class _Problem(Exception):  # noqa: N818 - a private signal carrying a row's problem, never raised to callers
    def __init__(self, reason: str, column: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column


def read_statement(data: str | bytes, fmt: StatementFormat) -> StatementRead:
    """Read a CSV bank statement laid out as ``fmt``: its credit lines, and a problem for each unreadable row.

    ``data`` is the file's bytes (decoded with ``fmt.encoding``) or its text.

    Raises:
        ValidationError: ``fmt`` is not a :class:`StatementFormat`; the bytes are not in its encoding; the
            CSV quoting is broken (the row is named); no header row names every configured column (the
            first missing one is named, with its role as the field: ``columns.credit``); a column named
            by two header cells.
    """
    if not isinstance(fmt, StatementFormat):
        raise ValidationError("must be a StatementFormat", field="fmt", value=type(fmt).__name__)
    rows = _rows(_text(data, fmt), fmt)
    header, positions = _header(rows, fmt)
    return _Reader(fmt, positions).read(rows, header)


def _text(data: object, fmt: StatementFormat) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if not isinstance(data, bytes):
        raise ValidationError("must be the file's bytes or text", field="data", value=type(data).__name__)
    try:
        return data.decode(fmt.encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"the file is not in {fmt.encoding}: unreadable byte at offset {error.start}; set the format's encoding",
            field="encoding",
            value=fmt.encoding,
        ) from None


def _rows(text: str, fmt: StatementFormat) -> list[list[str]]:
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter, strict=True)
    try:
        rows.extend(reader)
    except csv.Error as error:
        raise ValidationError(
            f"the CSV cannot be read at row {len(rows) + 1}: {error}", field="data", value=fmt.name
        ) from None
    return rows


def _keys(cell: str) -> set[str]:
    head = re.split(r"[/(\r\n]", cell, maxsplit=1)[0]
    return {fold(cell), fold(head)} - {""}


def _locate(row: Sequence[str], fmt: StatementFormat) -> tuple[dict[str, int], list[str]]:
    """The position of each configured column in ``row``, and the roles not found there."""
    keys = [_keys(cell) for cell in row]
    found = {role: [i for i, cell in enumerate(keys) if fold(name) in cell] for role, name in fmt.columns.items()}
    missing = [role for role, places in found.items() if not places]
    twice = [role for role, places in found.items() if len(places) > 1]
    if twice and not missing:  # the header, but a column it cannot tell apart
        name = fmt.columns[twice[0]]
        raise ValidationError(
            f"the header row names {name!r} {len(found[twice[0]])} times", field=f"columns.{twice[0]}", value=name
        )
    return {role: places[0] for role, places in found.items() if len(places) == 1}, missing + twice


def _header(rows: list[list[str]], fmt: StatementFormat) -> tuple[int, dict[str, int]]:
    if fmt.header_rows_skipped is not None:
        candidates = [fmt.header_rows_skipped] if fmt.header_rows_skipped < len(rows) else []
    else:
        candidates = list(range(min(len(rows), HEADER_SEARCH_ROWS)))
    fewest: list[str] | None = None
    for index in candidates:
        positions, missing = _locate(rows[index], fmt) if any(c.strip() for c in rows[index]) else ({}, ["all"])
        if not missing:
            return index, positions
        if fewest is None or len(missing) < len(fewest):
            fewest = missing
    role = (fewest or ["date"])[0]
    role = "date" if role == "all" else role
    where = f"row {fmt.header_rows_skipped + 1}" if fmt.header_rows_skipped is not None else "any header row"
    name = fmt.columns[role]
    raise ValidationError(f"no column named {name!r} in {where}", field=f"columns.{role}", value=name)


class _Reader:
    """Reads the data rows under the header, one at a time, remembering what it needs across rows."""

    def __init__(self, fmt: StatementFormat, positions: dict[str, int]) -> None:
        self._fmt = fmt
        self._positions = positions
        self._summary = tuple(fold(marker) for marker in fmt.summary_markers)
        self._amount = _amount_pattern(fmt)
        self._ids: dict[str, int] = {}
        self._identical: dict[str, int] = {}

    def read(self, rows: list[list[str]], header: int) -> StatementRead:
        lines: list[StatementLine] = []
        debits: list[RefundDebit] = []
        problems: list[RowProblem] = []
        summaries = 0
        for number, row in enumerate(rows[header + 1 :], start=header + 2):
            if not any(cell.strip() for cell in row):
                continue
            if self._is_summary(row):
                summaries += 1
                continue
            try:
                read = self._row(number, row)
            except _Problem as problem:
                problems.append(RowProblem(row=number, reason=problem.reason, column=problem.column))
                continue
            if isinstance(read, RefundDebit):
                debits.append(read)
            else:
                lines.append(read)
        return StatementRead(
            lines=tuple(lines),
            problems=tuple(problems),
            debits=len(debits),
            summaries=summaries,
            header_row=header + 1,
            debit_lines=tuple(debits),
        )

    def _is_summary(self, row: Sequence[str]) -> bool:
        """A totals or balance row: its first cell starts with a marker, and it has no readable date."""
        if not fold(next(cell for cell in row if cell.strip())).startswith(self._summary):
            return False
        try:
            self._date(self._cell(row, "date"))
        except _Problem:
            return True
        return False

    def _cell(self, row: Sequence[str], role: str) -> str:
        index = self._positions.get(role)
        # Composed (NFC): Windows-1258 and some exports write a letter and its tone mark apart.
        return unicodedata.normalize("NFC", row[index]).strip() if index is not None and index < len(row) else ""

    def _row(self, number: int, row: Sequence[str]) -> StatementLine | RefundDebit:
        booked_at = self._date(self._cell(row, "date"))
        amount = self._money(row)
        description = self._cell(row, "description")
        if isinstance(amount, _Debit):
            return self._debit(number, row, booked_at, amount.amount, description)
        line_id = self._line_id(number, row, booked_at, amount, description)
        reference = self._cell(row, "reference") or self._cell(row, "id") or None
        try:
            return StatementLine(
                line_id=line_id, booked_at=booked_at, amount=amount, description=description, bank_reference=reference
            )
        except ValidationError as error:
            raise _Problem(f"unreadable line: {error.field} {error.message}") from None

    def _debit(
        self, number: int, row: Sequence[str], booked_at: dt.datetime, amount: Decimal, description: str
    ) -> RefundDebit:
        column = self._fmt.amount_column or self._fmt.debit_column or ""
        money = self._credit(amount, column)
        line_id = self._line_id(number, row, booked_at, money, description, debit=True)
        try:
            return RefundDebit(line_id=line_id, booked_at=booked_at, amount=money, description=description)
        except ValidationError as error:
            raise _Problem(f"unreadable debit: {error.field} {error.message}") from None

    def _date(self, text: str) -> dt.datetime:
        column = self._fmt.date_column
        if not text:
            raise _Problem("no date", column)
        text = " ".join(text.split())
        for pattern in self._fmt.date_formats:
            try:
                parsed = dt.datetime.strptime(text, pattern)  # noqa: DTZ007 - the zone is added below (D2)
            except ValueError:
                continue
            if not EARLIEST_DATE <= parsed.date() <= LATEST_DATE:
                raise _Problem(f"date outside {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}", column)
            if parsed.tzinfo is not None:
                return parsed
            if any(directive in pattern for directive in _TIME_DIRECTIVES):
                return parsed.replace(tzinfo=VIETNAM_TZ)
            return start_of_local_day(parsed.date())
        raise _Problem("date in none of the format's date formats", column)

    def _money(self, row: Sequence[str]) -> Money | _Debit:
        """The credit of the row, or the amount of a debit (above zero)."""
        fmt = self._fmt
        if fmt.amount_column is not None:
            amount = self._number(self._cell(row, "amount"), fmt.amount_column)
            if amount is None or amount == 0:
                raise _Problem("no amount" if amount is None else "zero amount", fmt.amount_column)
            return self._credit(amount, fmt.amount_column) if amount > 0 else _Debit(-amount)
        credit_column = fmt.credit_column or ""
        credit = self._number(self._cell(row, "credit"), credit_column)
        debit = self._number(self._cell(row, "debit"), fmt.debit_column or "") if fmt.debit_column else None
        if credit and debit:
            raise _Problem("both a credit and a debit", credit_column)
        if credit:
            if credit < 0:
                raise _Problem("negative credit", credit_column)
            return self._credit(credit, credit_column)
        if debit:
            return _Debit(abs(debit))  # some exports sign their debits: the column says it is one
        raise _Problem("no amount", credit_column)

    def _credit(self, amount: Decimal, column: str) -> Money:
        currency = self._fmt.money
        if amount.adjusted() >= MAX_AMOUNT_DIGITS:
            raise _Problem(f"amount above {MAX_AMOUNT:,} ({MAX_AMOUNT_DIGITS} integer digits)", column)
        try:
            money = Money.of(amount, currency)
        except ValidationError:
            raise _Problem(f"more decimals than {currency.code} has", column) from None
        return Money(money.amount.quantize(currency.quantum, context=CONTEXT), currency)

    def _number(self, text: str, column: str) -> Decimal | None:
        body = _strip_currency(text, self._fmt.currency)
        if not body:
            return None
        sign = 1
        if body.startswith("(") and body.endswith(")"):
            sign, body = -1, body[1:-1].strip()
        elif body[0] in "+-":
            sign, body = (-1 if body[0] == "-" else 1), body[1:].strip()
        if not self._amount.fullmatch(body):
            raise _Problem("amount not a number in the format's separators", column)
        plain = body.replace(self._fmt.thousands, "") if self._fmt.thousands else body
        try:
            number = Decimal(plain.replace(self._fmt.decimal, "."))
            return number.copy_negate() if sign < 0 else number
        except InvalidOperation:  # pragma: no cover - the pattern admits digits and one decimal mark only
            raise _Problem("amount not a number", column) from None

    def _line_id(
        self, number: int, row: Sequence[str], booked_at: dt.datetime, amount: Money, text: str, *, debit: bool = False
    ) -> str:
        if self._fmt.id_column is not None:
            line_id = self._cell(row, "id")
            if not line_id:
                raise _Problem("no transaction id", self._fmt.id_column)
            if len(line_id) > MAX_LINE_ID or not line_id.isprintable():
                raise _Problem(f"transaction id not printable or longer than {MAX_LINE_ID}", self._fmt.id_column)
            first = self._ids.setdefault(line_id, number)
            if first != number:
                raise _Problem(f"transaction id repeats row {first}", self._fmt.id_column)
            return line_id
        when, value = booked_at.astimezone(dt.UTC).isoformat(), format(amount.amount.normalize(CONTEXT), "f")
        parts = [when, value, amount.currency.code, " ".join(text.split())]
        same = json.dumps([*parts, "debit"] if debit else parts, ensure_ascii=False)
        occurrence = self._identical.get(same, 0)
        self._identical[same] = occurrence + 1
        digest = hashlib.sha256(f"{same}#{occurrence}".encode()).hexdigest()
        return f"row-{digest[:32]}"


def _amount_pattern(fmt: StatementFormat) -> re.Pattern[str]:
    # ASCII digits only: "١٢٣" or full-width digits are not an amount a bank exports.
    decimal = rf"(?:{re.escape(fmt.decimal)}\d+)?"
    if not fmt.thousands:
        return re.compile(rf"\d+{decimal}", re.ASCII)
    return re.compile(rf"(?:\d{{1,3}}(?:{re.escape(fmt.thousands)}\d{{3}})+|\d+){decimal}", re.ASCII)


def _strip_currency(text: str, currency: str) -> str:
    body = text.strip()
    signs = (currency, *_VND_SIGNS) if currency == "VND" else (currency,)
    for sign in signs:
        if body.upper().endswith(sign.upper()):
            return body[: -len(sign)].strip()
        if body.upper().startswith(sign.upper()):
            return body[len(sign) :].strip()
    return body
