"""Day swaps the government announced that the ``holidays`` package lacks, shipped as dated data (D5).

A day swap (hoán đổi ngày làm việc) moves one working day: a weekday becomes a day off and a weekend day is
worked instead. The Government Office (Văn phòng Chính phủ) announces each one for the public sector, and
the Ministry of Home Affairs (Bộ Nội vụ; the Ministry of Labour before 2025) passes it on. The ``holidays``
package records most of them; :data:`ANNOUNCED_DAY_SWAPS` lists only those it lacks, each with its source,
and :class:`~subscription_core.calendar.BusinessCalendar` applies them by default. A host passes its own
tuple (``day_swaps=()`` for none) to override them. Once the package records a swap, the entry here can be
dropped (``docs/holidays-proposal.md`` proposes ours in the package's own format); until then both agree,
which the tests check.

Checked for 2025 to 2027 against the announcements we could find (``docs/calendar.md`` lists them): only
the New Year 2026 swap is missing from the package.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

import attrs

from subscription_core.errors import ValidationError

__all__ = ["ANNOUNCED_DAY_SWAPS", "DaySwap"]

_RULE: Final = "D5"
_SATURDAY: Final = 5
_MAX_SOURCE: Final = 500


def _weekday(_instance: object, attribute: attrs.Attribute[date], value: object) -> None:
    if _date(attribute.name, value).weekday() >= _SATURDAY:
        raise ValidationError(
            "must be a Monday to Friday: only a working day is swapped off",
            rule=_RULE,
            field=attribute.name,
            value=value,
        )


def _weekend_day(_instance: object, attribute: attrs.Attribute[date], value: object) -> None:
    if _date(attribute.name, value).weekday() < _SATURDAY:
        raise ValidationError(
            "must be a Saturday or Sunday: only a weekend day is worked in exchange",
            rule=_RULE,
            field=attribute.name,
            value=value,
        )


def _date(field: str, value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError("must be a date (not a datetime)", rule=_RULE, field=field, value=value)
    return value


def _source(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_SOURCE:
        raise ValidationError(
            f"must name the announcement, in 1 to {_MAX_SOURCE} characters",
            rule=_RULE,
            field=attribute.name,
            value=value,
        )


@attrs.frozen(kw_only=True)
class DaySwap:
    """One announced swap: ``day_off``, a weekday, is not worked; ``worked_on``, a weekend day, is (D5).

    Attributes:
        day_off: the Monday to Friday made a day off.
        worked_on: the Saturday or Sunday worked to make up for it (it may fall in another year).
        source: the announcement: document number, date and issuer, enough for a reader to find it.

    Raises:
        ValidationError: (D5, naming the field) a day that is not a plain ``date``, a ``day_off`` on a
            weekend, a ``worked_on`` on a weekday, or an empty or over-long ``source``.
    """

    day_off: date = attrs.field(validator=_weekday)
    worked_on: date = attrs.field(validator=_weekend_day)
    source: str = attrs.field(validator=_source)


ANNOUNCED_DAY_SWAPS: Final[tuple[DaySwap, ...]] = (
    DaySwap(
        day_off=date(2026, 1, 2),
        worked_on=date(2026, 1, 10),
        # As reported on 2025-12-25/26 (24h.com.vn, tracuuquyhoach.com and other news sites quoting the
        # document): civil servants off Thu 1/1 to Sun 4/1/2026, "hoán đổi từ ngày làm việc thứ sáu (ngày
        # 2/1/2026) sang ngày nghỉ hằng tuần thứ bảy (ngày 10/1/2026)"; the Ministry of Home Affairs
        # announced it the same day.
        source=(
            "Văn bản 12729/VPCP-KGVX ngày 25/12/2025 của Văn phòng Chính phủ (ý kiến Phó Thủ tướng Phạm Thị "
            "Thanh Trà): nghỉ Tết Dương lịch 2026 từ 01/01 đến 04/01/2026, hoán đổi ngày làm việc thứ Sáu "
            "02/01/2026 sang thứ Bảy 10/01/2026"
        ),
    ),
)
"""The announced swaps the ``holidays`` package lacks, oldest first, applied by default (D5)."""
