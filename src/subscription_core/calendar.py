"""Local dates and business days in Vietnam (rules D1, D2, D4, D5).

Instants are time-zone-aware ``datetime`` values; the calendar date of an instant is always taken in
Asia/Ho_Chi_Minh (D2). A :class:`BusinessCalendar` says which local dates are business days (D1), counts
"within N business days of an event" from the day after the event (D4) and turns that into a deadline
instant at the end of the last local day.

Holidays come from the ``holidays`` package (country VN), which models the fixed and lunar public
holidays, their observed days, the government's swapped days off and the Saturdays worked to make up for
them. The package records a swap as ``(to_month, to_day, from_month, from_day[, from_year])`` in
``special_public_holidays``: the ``to`` date becomes a day off labelled "Day off (substituted from ...)"
and the ``from`` date, a weekend day, is listed in ``weekend_workdays``. That data, not the translated
label, is how a swapped day off is told apart from a real holiday here. Swaps the government announced but
the package lacks are shipped in :mod:`subscription_core.day_swaps` and applied on top of it (D5).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Final

import attrs
import holidays

from subscription_core.day_swaps import ANNOUNCED_DAY_SWAPS, DaySwap
from subscription_core.errors import ValidationError

__all__ = [
    "VIETNAM_TZ",
    "BusinessCalendar",
    "end_of_local_day",
    "ensure_aware",
    "local_date",
    "start_of_local_day",
]

VIETNAM_TZ: Final[zoneinfo.ZoneInfo] = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
"""The time zone in which every calendar date of the domain is taken (rule D2)."""

_COUNTRY: Final = "VN"
_SATURDAY: Final = 5
_SUBSTITUTION_ARITY: Final = 4  # a special-holiday tuple this long or longer is a swap, not a one-off holiday
_ONE_DAY: Final = timedelta(days=1)


def ensure_aware(instant: datetime, *, field: str = "at") -> datetime:
    """Return ``instant`` unchanged if it is a time-zone-aware ``datetime`` (rule D2).

    Raises:
        ValidationError: (rule D2, naming ``field``) if ``instant`` is not a ``datetime`` or is naive, that is
            has no ``tzinfo`` or a ``tzinfo`` that gives no UTC offset.
    """
    if not isinstance(instant, datetime):
        raise ValidationError("must be a time-zone-aware datetime", rule="D2", field=field, value=instant)
    if instant.tzinfo is None or instant.tzinfo.utcoffset(instant) is None:
        raise ValidationError(
            "must be time-zone-aware; a naive datetime is refused", rule="D2", field=field, value=instant
        )
    return instant


def local_date(instant: datetime) -> date:
    """Return the calendar date of ``instant`` in Asia/Ho_Chi_Minh (rule D2).

    ``2026-12-31T18:00Z`` is already 2027-01-01 in Vietnam.

    Raises:
        ValidationError: (rule D2, field ``instant``) if ``instant`` is naive or not a ``datetime``.
    """
    return _local_date(instant, field="instant")


def start_of_local_day(day: date) -> datetime:
    """Return 00:00 Asia/Ho_Chi_Minh on ``day``, time-zone-aware (rule D2).

    Raises:
        ValidationError: (rule D2, field ``day``) if ``day`` is a ``datetime`` or not a ``date``.
    """
    return datetime.combine(_plain_date(day, field="day"), time.min, tzinfo=VIETNAM_TZ)


def end_of_local_day(day: date) -> datetime:
    """Return the last instant of ``day`` in Asia/Ho_Chi_Minh, 23:59:59.999999 local, time-zone-aware (D2, D4).

    Raises:
        ValidationError: (rule D2, field ``day``) if ``day`` is a ``datetime`` or not a ``date``.
    """
    return datetime.combine(_plain_date(day, field="day"), time.max, tzinfo=VIETNAM_TZ)


def _local_date(instant: datetime, *, field: str) -> date:
    return ensure_aware(instant, field=field).astimezone(VIETNAM_TZ).date()


def _plain_date(day: date, *, field: str) -> date:
    # A datetime is a date too; letting one through would take its date in whatever zone it carries.
    if isinstance(day, datetime):
        raise ValidationError(
            "must be a date, not a datetime; take local_date(instant) first", rule="D2", field=field, value=day
        )
    if not isinstance(day, date):
        raise ValidationError("must be a date", rule="D2", field=field, value=day)
    return day


def _date_set(_instance: object, attribute: attrs.Attribute[frozenset[date]], value: frozenset[date]) -> None:
    if not isinstance(value, frozenset):
        raise ValidationError("must be a frozenset of dates", rule="D1", field=attribute.name, value=value)
    for day in value:
        _plain_date(day, field=attribute.name)


def _swap_tuple(_instance: object, attribute: attrs.Attribute[tuple[DaySwap, ...]], value: object) -> None:
    if not isinstance(value, tuple) or not all(isinstance(swap, DaySwap) for swap in value):
        raise ValidationError("must be a tuple of DaySwap", rule="D5", field=attribute.name, value=value)


def _flag(_instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError("must be True or False", rule="D1", field=attribute.name, value=value)


@attrs.frozen
class _YearDays:
    """What the ``holidays`` package says about one year, after applying or dropping the government's swaps."""

    days_off: frozenset[date]
    weekend_workdays: frozenset[date]


@attrs.frozen(kw_only=True)
class BusinessCalendar:
    """Which local dates are business days in Vietnam, and deadlines counted in them (rules D1, D4, D5).

    A business day is a Monday to Friday that is not a public holiday of the ``holidays`` package (country
    VN, with observed days), plus the make-up Saturdays the government decrees, less the weekdays it swaps
    into days off (D1), whether the package records the swap or ``day_swaps`` does (D5). The host's own
    lists win over both: a date in ``extra_days_off`` is never a business day and a date in
    ``extra_working_days`` always is.

    Attributes:
        day_swaps: announced swaps the package lacks (D5); by default
            :data:`~subscription_core.day_swaps.ANNOUNCED_DAY_SWAPS`, shipped with the library (New Year
            2026: Fri 2026-01-02 off, Sat 2026-01-10 worked). Pass your own tuple to replace them, ``()``
            for none.
        extra_days_off: any other days off the host observes.
        extra_working_days: any other working days the host observes.
        apply_government_swaps: ``False`` ignores every swapped day off and make-up weekend day, the
            package's and ``day_swaps`` alike, as they bind the public sector only; holidays and their
            observed days still apply.

    The holiday data is computed lazily, one year at a time, and cached inside the instance; the calendar
    has no other state, never changes from the outside and may be shared between threads (two threads
    may compute the same year, with the same result). Construction does no work.

    Raises:
        ValidationError: (rule D1) when the extra days are not frozensets of dates, when
            ``apply_government_swaps`` is not a bool, or when a date is both an extra day off and an extra
            working day; (rule D5) when ``day_swaps`` is not a tuple of
            :class:`~subscription_core.day_swaps.DaySwap`.
    """

    day_swaps: tuple[DaySwap, ...] = attrs.field(default=ANNOUNCED_DAY_SWAPS, validator=_swap_tuple)
    extra_days_off: frozenset[date] = attrs.field(default=frozenset(), validator=_date_set)
    extra_working_days: frozenset[date] = attrs.field(default=frozenset(), validator=_date_set)
    apply_government_swaps: bool = attrs.field(default=True, validator=_flag)
    _years: dict[int, _YearDays] = attrs.field(init=False, factory=dict, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """Refuse a date that is both an extra day off and an extra working day (rule D1)."""
        if both := self.extra_days_off & self.extra_working_days:
            raise ValidationError(
                "a date cannot be both an extra day off and an extra working day",
                rule="D1",
                field="extra_working_days",
                value=sorted(both),
            )

    def is_business_day(self, day: date) -> bool:
        """Return whether the local date ``day`` is a business day (rule D1).

        Raises:
            ValidationError: (rule D2, field ``day``) if ``day`` is a ``datetime`` or not a ``date``.
        """
        day = _plain_date(day, field="day")
        if day in self.extra_days_off:
            return False
        if day in self.extra_working_days:
            return True
        year = self._year_days(day.year)
        if day.weekday() >= _SATURDAY:
            return day in year.weekend_workdays
        return day not in year.days_off

    def next_business_day(self, day: date) -> date:
        """Return the first business day strictly after ``day`` (rule D1).

        Raises:
            ValidationError: (rule D2, field ``day``) if ``day`` is a ``datetime`` or not a ``date``.
        """
        return self.add_business_days(day, 1)

    def add_business_days(self, day: date, n: int) -> date:
        """Return the ``n``-th business day after ``day``, counting from the day after it (rule D4).

        ``day`` itself is never counted, whether or not it is a business day: Fri 2027-04-30 plus 1 is
        Tue 2027-05-04. ``n == 0`` returns ``day`` unchanged.

        Raises:
            ValidationError: (rule D4, field ``n``) if ``n`` is negative or not a whole number, or the count
                runs past 9999-12-31; (rule D2, field ``day``) if ``day`` is a ``datetime`` or not a ``date``.
        """
        day = _plain_date(day, field="day")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValidationError("must be a whole number of business days >= 0", rule="D4", field="n", value=n)
        remaining = n
        try:
            while remaining:
                day += _ONE_DAY
                if self.is_business_day(day):
                    remaining -= 1
        except OverflowError:
            raise ValidationError("runs past the last representable date", rule="D4", field="n", value=n) from None
        return day

    def deadline(self, event: datetime, business_days: int) -> datetime:
        """Return the instant by which something due "within N business days of ``event``" must be done (D4, D2).

        That is the end of the local day (23:59:59.999999 Asia/Ho_Chi_Minh) of
        ``add_business_days(local_date(event), business_days)``, time-zone-aware in Asia/Ho_Chi_Minh. Money
        received on Fri 2027-04-30 with ``business_days=1`` (rule Y3) is due by the end of Tue 2027-05-04.

        Raises:
            ValidationError: (rule D2, field ``event``) if ``event`` is naive or not a ``datetime``; (rule
                D4, field ``n``) if ``business_days`` is negative.
        """
        return end_of_local_day(self.add_business_days(_local_date(event, field="event"), business_days))

    def _year_days(self, year: int) -> _YearDays:
        if (cached := self._years.get(year)) is not None:
            return cached
        # setdefault keeps the first result if two threads computed the year at once; both are equal.
        swaps = self.day_swaps if self.apply_government_swaps else ()
        return self._years.setdefault(year, _load_year(year, apply_swaps=self.apply_government_swaps, swaps=swaps))


def _load_year(year: int, *, apply_swaps: bool, swaps: tuple[DaySwap, ...]) -> _YearDays:
    """Read one year from a fresh ``holidays`` object, so no holiday object is ever shared between threads.

    ``swaps`` (D5) are added to the package's own: their days off and their worked weekend days.
    """
    # Neighbouring years too: an observed day or a swap's make-up day may fall across the new year.
    package = holidays.country_holidays(_COUNTRY, years=range(year - 1, year + 2))
    days_off = {day for day in package if day.year == year}
    weekend_workdays = {day for day in package.weekend_workdays if day.year == year}
    if not apply_swaps:
        swapped_off = {to for to, _ in _substitutions(package, range(year - 1, year + 2)) if to.year == year}
        # A swapped day off that is also a real holiday keeps the holiday's name besides the swap's.
        days_off = {day for day in days_off if day not in swapped_off or len(package.get_list(day)) > 1}
        weekend_workdays = set()
    days_off |= {swap.day_off for swap in swaps if swap.day_off.year == year}
    weekend_workdays |= {swap.worked_on for swap in swaps if swap.worked_on.year == year}
    return _YearDays(days_off=frozenset(days_off), weekend_workdays=frozenset(weekend_workdays))


def _substitutions(package: holidays.HolidayBase, years: Iterable[int]) -> Iterator[tuple[date, date]]:
    """Yield ``(day_off, make_up_day)`` for every government swap the package records in ``years``."""
    special: Mapping[int, tuple[Any, ...]] = getattr(package, "special_public_holidays", {})
    for year in years:
        entries = special.get(year, ())
        # The package stores one entry as a bare tuple and several as a tuple of tuples.
        for entry in entries if entries and isinstance(entries[0], tuple) else (entries,):
            if len(entry) >= _SUBSTITUTION_ARITY:
                to_month, to_day, from_month, from_day, *from_year = entry
                yield (
                    date(year, to_month, to_day),
                    date(from_year[0] if from_year else year, from_month, from_day),
                )
