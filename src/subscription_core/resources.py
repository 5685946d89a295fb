"""The resource view: what a customer sees of a subscription's quotas and expiry (rule S7).

Each quota the plan grants is shown with extra storage added to the storage quota (S6) and the use the
host measured; the expiry is the instant the subscription ends and the last day it may be used.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import attrs

from subscription_core.errors import ValidationError
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


def resource_view(subscription: Subscription, used: Mapping[str, int]) -> ResourceView:
    """Return each quota granted (extra storage included, S6) with its use as the host measured it (S7).

    Raises:
        ValidationError: a measured use is negative or not a whole number.
    """
    for code, amount in used.items():
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise ValidationError("a use must be a whole number >= 0", rule="S7", field=f"used[{code}]", value=amount)
    lines = [
        QuotaLine(
            code=q.code,
            unit=q.unit,
            granted=q.amount + (subscription.extra_storage if q.code == STORAGE_QUOTA else 0),
            used=used.get(q.code, 0),
        )
        for q in subscription.quotas
    ]
    if subscription.extra_storage and all(q.code != STORAGE_QUOTA for q in subscription.quotas):
        lines.append(
            QuotaLine(code=STORAGE_QUOTA, unit="", granted=subscription.extra_storage, used=used.get(STORAGE_QUOTA, 0))
        )
    return ResourceView(
        plan_code=subscription.plan_code,
        state=subscription.state,
        quotas=tuple(lines),
        expires_at=subscription.expires_at,
        last_day=subscription.last_day,
    )
