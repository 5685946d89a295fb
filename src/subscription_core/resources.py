"""The resource view: what a customer sees of a subscription's quotas and expiry (rule S7).

Each quota the plan grants is shown with extra storage added to the storage quota (S6) and the use the
host measured; the expiry is the instant the subscription ends and the last day it may be used. The plan,
quotas and storage shown are those of the paid term containing the day asked about (S10, S11), even when
the scheduler has not yet started that term.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import attrs

from subscription_core.calendar import local_date
from subscription_core.errors import ValidationError, utc
from subscription_core.subscriptions import STORAGE_QUOTA, State, Subscription

__all__ = ["QuotaLine", "ResourceView", "resource_view"]


@attrs.frozen(kw_only=True)
class QuotaLine:
    """One resource in the resource view (S7): granted and used, in ``unit``."""

    code: str
    unit: str
    granted: int
    used: int

    @property
    def remaining(self) -> int:
        """What is left, never below zero."""
        return max(self.granted - self.used, 0)


@attrs.frozen(kw_only=True)
class ResourceView:
    """What a customer sees of a subscription's resources (S7): each quota and the expiry."""

    plan_code: str
    state: State
    quotas: tuple[QuotaLine, ...]
    expires_at: datetime | None
    last_day: date | None


def resource_view(subscription: Subscription, used: Mapping[str, int], *, at: datetime | None = None) -> ResourceView:
    """Return each quota granted (extra storage included, S6) with its use as the host measured it (S7).

    With ``at``, the plan, quotas and storage are those in force at ``at``: of the paid term containing
    its local day (S10, S11); without it, those of the term the subscription was last advanced to.

    Raises:
        ValidationError: a measured use is negative or not a whole number; (D2) ``at`` is naive.
    """
    for code, amount in used.items():
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise ValidationError("a use must be a whole number >= 0", rule="S7", field=f"used[{code}]", value=amount)
    grant = subscription.current_grant if at is None else subscription.in_force(local_date(utc(at)))
    extra = grant.extra_storage
    lines = [
        QuotaLine(
            code=q.code,
            unit=q.unit,
            granted=q.amount + (extra if q.code == STORAGE_QUOTA else 0),
            used=used.get(q.code, 0),
        )
        for q in grant.quotas
    ]
    if extra and all(q.code != STORAGE_QUOTA for q in grant.quotas):
        lines.append(QuotaLine(code=STORAGE_QUOTA, unit="", granted=extra, used=used.get(STORAGE_QUOTA, 0)))
    return ResourceView(
        plan_code=grant.plan_code,
        state=subscription.state,
        quotas=tuple(lines),
        expires_at=subscription.expires_at,
        last_day=subscription.last_day,
    )
