"""Terms: consecutive periods of whole days, months or years counted from an anchor date (rule D3).

Every term is computed from the anchor, never by stepping from the previous term, so month arithmetic
clamps to the month's end and then returns to the anchor day: monthly terms from Jan 31 start on Jan 31,
Feb 28 (29 in leap years), Mar 31, Apr 30, May 31, ... A term is half-open, ``[start, end)``: its last
day is ``end - 1 day`` and the next term starts on ``end``, so consecutive terms are contiguous by
construction and never overlap.

Expiry is exclusive: a subscription whose term is ``[start, end)`` may be used through the whole local
day before ``end`` and expires at :func:`expiry_instant`, 00:00 Asia/Ho_Chi_Minh on ``end`` (rule D2).
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import Final

import attrs
from dateutil.relativedelta import relativedelta

from subscription_core.calendar import start_of_local_day
from subscription_core.catalog import CycleUnit
from subscription_core.errors import ValidationError
from subscription_core.limits import LATEST_COMPUTED_DATE

__all__ = [
    "Term",
    "TermUnit",
    "add_units",
    "days_in",
    "expiry_instant",
    "term_after",
    "term_containing",
    "terms_between",
]

_MONTHS_PER_YEAR: Final = 12


class TermUnit(enum.Enum):
    """The unit a term is counted in; the values are those of :class:`~subscription_core.catalog.CycleUnit`."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


UnitLike = TermUnit | CycleUnit | str
"""A term unit: a :class:`TermUnit`, a catalog :class:`CycleUnit`, or the value of either (``"month"``)."""


def _unit(unit: UnitLike) -> TermUnit:
    if isinstance(unit, TermUnit):
        return unit
    value = unit.value if isinstance(unit, CycleUnit) else unit
    try:
        return TermUnit(value)
    except ValueError:
        raise ValidationError("must be 'day', 'month' or 'year'", rule="D3", field="unit", value=unit) from None


def _whole(value: int, *, field: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValidationError(f"must be a whole number >= {minimum}", rule="D3", field=field, value=value)
    return value


def _day(value: date, *, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError("must be a date (not a datetime)", rule="D3", field=field, value=value)
    return value


def add_units(anchor: date, unit: UnitLike, count: int) -> date:
    """Return the date ``count`` units after ``anchor``, clamped to the month's end (rule D3).

    Computed from the anchor in one step, so the anchor day is kept wherever the month has it:
    Jan 31 + 1 month = Feb 28 (29 in leap years), Jan 31 + 2 months = Mar 31, Feb 29 + 1 year = Feb 28,
    Feb 29 + 4 years = Feb 29.

    Raises:
        ValidationError: (rule D3) if ``anchor`` is not a date, ``unit`` is not a day, month or year,
            ``count`` is negative or not a whole number, or the result lies beyond
            :data:`~subscription_core.limits.LATEST_COMPUTED_DATE`.
    """
    anchor = _day(anchor, field="anchor")
    term_unit = _unit(unit)
    count = _whole(count, field="count", minimum=0)
    try:
        if term_unit is TermUnit.DAY:
            result = anchor + timedelta(days=count)
        else:
            months = count if term_unit is TermUnit.MONTH else count * _MONTHS_PER_YEAR
            result = anchor + relativedelta(months=months)
    except (OverflowError, ValueError):
        result = date.max
    if result > LATEST_COMPUTED_DATE:
        raise ValidationError(
            f"would end after {LATEST_COMPUTED_DATE.isoformat()}, the latest date the library computes with",
            rule="D3",
            field="count",
            value=count,
        )
    return result


def _date_field(_instance: object, attribute: attrs.Attribute[date], value: date) -> None:
    _day(value, field=attribute.name)


def _term_end_after_start(instance: Term, _attribute: attrs.Attribute[date], end: date) -> None:
    if end <= instance.start:
        raise ValidationError("must be after the term's start", rule="D3", field="end", value=end)


@attrs.frozen(kw_only=True)
class Term:
    """A half-open period ``[start, end)`` of local dates: ``start`` is its first day, ``end`` the next term's first.

    Raises:
        ValidationError: (rule D3) if ``start`` or ``end`` is not a date, or ``end`` is not after ``start``.
    """

    start: date = attrs.field(validator=_date_field)
    end: date = attrs.field(validator=[_date_field, _term_end_after_start])

    def __contains__(self, day: date) -> bool:
        """Return whether ``day`` lies in the term, ``start <= day < end``."""
        return self.start <= day < self.end


def term_after(anchor: date, unit: UnitLike, length: int, index: int) -> Term:
    """Return the ``index``-th (0-based) term of ``length`` units counted from ``anchor`` (rule D3).

    ``start = add_units(anchor, unit, length * index)`` and ``end = add_units(anchor, unit, length * (index
    + 1))``, so term ``i`` ends where term ``i + 1`` starts.

    Raises:
        ValidationError: (rule D3) if ``length < 1``, ``index < 0``, or as :func:`add_units` does.
    """
    length = _whole(length, field="length", minimum=1)
    index = _whole(index, field="index", minimum=0)
    return Term(start=add_units(anchor, unit, length * index), end=add_units(anchor, unit, length * (index + 1)))


def terms_between(anchor: date, unit: UnitLike, length: int, first_index: int, count: int) -> tuple[Term, ...]:
    """Return the ``count`` consecutive terms from index ``first_index`` on (rule D3); empty when ``count == 0``.

    Raises:
        ValidationError: (rule D3, field ``count``) if ``count < 0``, or as :func:`term_after` does.
    """
    count = _whole(count, field="count", minimum=0)
    first_index = _whole(first_index, field="first_index", minimum=0)
    return tuple(term_after(anchor, unit, length, first_index + offset) for offset in range(count))


def term_containing(anchor: date, unit: UnitLike, length: int, day: date) -> Term:
    """Return the term, of those counted from ``anchor``, that contains ``day`` (rule D3).

    At a clamped month end the later term wins, as half-open terms demand: with monthly terms from Jan 30,
    Feb 28 belongs to ``[Feb 28, Mar 30)``, never to ``[Jan 30, Feb 28)``.

    Raises:
        ValidationError: (rule D3, field ``day``) if ``day`` is before ``anchor`` or not a date; as
            :func:`term_after` does otherwise.
    """
    anchor = _day(anchor, field="anchor")
    day = _day(day, field="day")
    if day < anchor:
        raise ValidationError("is before the first term's start", rule="D3", field="day", value=day)
    length = _whole(length, field="length", minimum=1)
    term_unit = _unit(unit)
    if term_unit is TermUnit.DAY:
        elapsed = (day - anchor).days
    else:
        elapsed = (day.year - anchor.year) * _MONTHS_PER_YEAR + day.month - anchor.month
        if term_unit is TermUnit.YEAR:
            elapsed //= _MONTHS_PER_YEAR
    # The estimate is off by at most one term because of clamping; walk to the exact one.
    index = max(elapsed // length, 0)
    term = term_after(anchor, term_unit, length, index)
    while day < term.start:
        index -= 1
        term = term_after(anchor, term_unit, length, index)
    while day >= term.end:
        index += 1
        term = term_after(anchor, term_unit, length, index)
    return term


def days_in(term: Term) -> int:
    """Return the number of days in ``term``, ``end - start``; always >= 1 (rule D3)."""
    return (term.end - term.start).days


def expiry_instant(term: Term) -> datetime:
    """Return the instant ``term`` expires: 00:00 Asia/Ho_Chi_Minh on ``term.end`` (rules D2, D3).

    Terms are half-open, so expiry is exclusive: the whole local day ``term.end - 1 day`` is still inside
    the term, and the instant returned is the first one outside it.
    """
    return start_of_local_day(term.end)
