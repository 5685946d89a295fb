"""Held back: a subscription the time-driven step could not advance, set aside so the others go on (S1, N2).

One subscription must never stop the scheduler for every other: when advancing it raises (a rule refusing
what time makes due, a value out of range, a defect), the step records why on the subscription itself as a
:class:`HeldBack`, saves it, and goes on with the rest of the batch. A held-back subscription is due again
at its ``retry_at``, five minutes after the first failure and doubling up to six hours, like the outbox's
retries; staff list them with the error (``held_back_subscriptions``). When advancing succeeds, the hold is
lifted and every transition it missed is applied in order, each at the instant it fell due.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import attrs

from subscription_core.backoff import backoff
from subscription_core.errors import SubscriptionError, aware, non_empty_text, utc, whole_number

__all__ = ["FIRST_RETRY", "MAX_RETRY", "HeldBack", "hold"]

FIRST_RETRY: Final = dt.timedelta(minutes=5)
"""The pause before a held-back subscription is tried again, doubled per further failure."""
MAX_RETRY: Final = dt.timedelta(hours=6)
"""The longest pause between two tries."""
_MAX_ERROR: Final = 300


@attrs.frozen(kw_only=True)
class HeldBack:
    """Why the time-driven step could not advance a subscription: since when, how often, when it tries again.

    ``error`` names the error's class, and for the library's own errors its rule and message (which mask
    personal data); another library's message is left out, since it may hold anything.
    """

    since: dt.datetime = attrs.field(validator=aware())
    attempts: int = attrs.field(validator=whole_number(1))
    error: str = attrs.field(validator=non_empty_text())
    retry_at: dt.datetime = attrs.field(validator=aware())


def _text(error: BaseException) -> str:
    if isinstance(error, SubscriptionError):
        rule = f"[{error.rule}] " if error.rule else ""
        return f"{rule}{type(error).__name__}: {error.message}"[:_MAX_ERROR]
    return type(error).__name__


def hold(previous: HeldBack | None, at: dt.datetime, error: BaseException) -> HeldBack:
    """Return the hold after a failure at ``at``: the first one, or ``previous`` tried once more.

    Raises:
        ValidationError: (D2) ``at`` is naive.
    """
    when = utc(at)
    attempts = 1 if previous is None else previous.attempts + 1
    since = when if previous is None else previous.since
    pause = backoff(attempts, first=FIRST_RETRY, cap=MAX_RETRY)
    return HeldBack(since=since, attempts=attempts, error=_text(error), retry_at=when + pause)
