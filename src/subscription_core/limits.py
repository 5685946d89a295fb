"""The input limits a host can rely on: every number that reaches arithmetic or dates is bounded (issue 14).

Each limit lives here once, is checked where a value enters the library (catalog loading, the value
objects' constructors, the use cases' inputs) and is named in the refusal, so that nothing downstream can
overflow, hang or lose precision. Within these limits every computation succeeds; beyond them the library
raises its own :class:`~subscription_core.errors.ValidationError` (or a
:class:`~subscription_core.errors.CatalogError` listing it), never ``OverflowError`` or a ``decimal`` signal.
``docs/limits.md`` lists them for hosts.

Why these values:

- amounts: a Vietnamese e-invoice shows at most 15 integer digits, so no amount (price, discount, cap,
  total, payment) reaches 10**15 of its currency's major unit; the same order is used for every currency;
- day counts and terms: a decade bounds every term, purge window and lead time a vendor has asked for, and
  keeps every date the library derives far inside what ``datetime`` represents;
- dates: a clock, a validity window or a statement dated outside 1900-2999 is an input error, and the
  library computes no date after 9000-12-31 (a term that would end later is refused).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final, TypeVar

from subscription_core.errors import ValidationError

__all__ = [
    "EARLIEST_DATE",
    "LATEST_COMPUTED_DATE",
    "LATEST_DATE",
    "MAX_AMOUNT",
    "MAX_AMOUNT_DIGITS",
    "MAX_AMOUNT_TEXT",
    "MAX_BATCH",
    "MAX_CYCLES",
    "MAX_CYCLE_LENGTH_DAYS",
    "MAX_NESTING",
    "MAX_NUMBER_TEXT",
    "MAX_PERCENT_DECIMALS",
    "MAX_PURGE_DAYS",
    "MAX_QUANTITY",
    "MAX_QUOTA",
    "MAX_REDEMPTIONS",
    "MAX_TERM_MONTHS",
    "MAX_TRIAL_DAYS",
    "MAX_WARNINGS",
    "MAX_WARNING_DAYS",
    "within_dates",
]

MAX_AMOUNT_DIGITS: Final = 15
"""Integer digits of any amount, in its currency's major unit (the e-invoice's limit)."""
MAX_AMOUNT: Final = Decimal(10**MAX_AMOUNT_DIGITS - 1)
"""The largest whole amount: 999,999,999,999,999 (an amount must stay below 10**15)."""
MAX_AMOUNT_TEXT: Final = 64
"""Characters of an amount given as text (``"1200000"``, ``"12.50"``); longer texts are refused unread."""
MAX_PERCENT_DECIMALS: Final = 28
"""Decimals of a percentage off: as many as ``Decimal(100) / 3`` has in Python's default context."""

MAX_QUANTITY: Final = 10_000
"""Units of an add-on on one line, and an add-on's ``max_quantity``."""
MAX_QUOTA: Final = 10**9
"""A quota a plan grants (seats, GB) and the storage one unit of an add-on adds."""

MAX_REDEMPTIONS: Final = 10**9
"""A promotion's redemption limits, in all and per customer."""

MAX_CYCLES: Final = 120
"""Cycles of one pricing option (``cycles``)."""
MAX_CYCLE_LENGTH_DAYS: Final = 3660
"""Length of one cycle or one retention unit: at most 3660 days, 120 months or 10 years."""
MAX_TERM_MONTHS: Final = 120
"""A pricing option's whole term (cycles times the cycle's length): at most 10 years (or 3660 days)."""
MAX_TRIAL_DAYS: Final = 366
"""Days of a free trial (C4)."""
MAX_PURGE_DAYS: Final = 3660
"""Days a product keeps an expired subscription's data before purging it (S4)."""
MAX_WARNING_DAYS: Final = 366
"""Days before expiry of one expiry warning (S3)."""
MAX_WARNINGS: Final = 20
"""Expiry warnings of one product."""

MAX_NESTING: Final = 32
"""Levels of nesting of a catalog file or dict (a real catalog nests about 8)."""
MAX_NUMBER_TEXT: Final = 64
"""Digits of an integer in a catalog's JSON text."""

MAX_BATCH: Final = 10_000
"""Subscriptions the scheduler advances per unit of work (``run_scheduler(batch=...)``)."""

EARLIEST_DATE: Final = dt.date(1900, 1, 1)
"""The earliest date the library takes in (a clock, a validity window, a VAT period, a statement line)."""
LATEST_DATE: Final = dt.date(2999, 12, 31)
"""The latest date the library takes in; a clock reading later is refused."""
LATEST_COMPUTED_DATE: Final = dt.date(9000, 12, 31)
"""The latest date the library computes with: a term that would end later is refused (D3)."""

_Day = TypeVar("_Day", bound=dt.date)


def within_dates(day: _Day, *, field: str, rule: str = "") -> _Day:
    """Return ``day`` (a date or an aware datetime) if it lies between :data:`EARLIEST_DATE` and :data:`LATEST_DATE`.

    Raises:
        ValidationError: naming ``field`` and both limits, when it lies outside them.
    """
    plain = day.date() if isinstance(day, dt.datetime) else day
    if not EARLIEST_DATE <= plain <= LATEST_DATE:
        raise ValidationError(
            f"must lie between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}",
            rule=rule,
            field=field,
            value=day,
        )
    return day
