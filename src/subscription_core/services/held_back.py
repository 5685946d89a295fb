"""Staff see the subscriptions the time-driven step set aside, with why (S1, A2; issue of poison pills).

:func:`~subscription_core.services.scheduler.run_scheduler` never lets one subscription stop the others: one
it cannot advance is held back with its error and tried again later (:mod:`subscription_core.held_back`).
:func:`held_back_subscriptions` lists them for staff, longest held first.
"""

from __future__ import annotations

from typing import Final

from subscription_core.customers import Actor
from subscription_core.errors import ValidationError
from subscription_core.services.context import Services
from subscription_core.services.permissions import require_staff
from subscription_core.subscriptions import Subscription

__all__ = ["held_back_subscriptions"]

_MAX_LIST: Final = 1000


def held_back_subscriptions(deps: Services, actor: Actor, *, limit: int = 100) -> list[Subscription]:
    """The subscriptions the time-driven step could not advance, longest held first, each with its ``held_back``.

    Raises:
        PermissionDeniedError: (A2) not staff. ValidationError: a limit that is not a whole number 0 to 1000.
    """
    require_staff(actor, "list held-back subscriptions")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= _MAX_LIST:
        raise ValidationError(f"must be a whole number from 0 to {_MAX_LIST}", field="limit", value=limit)
    with deps.uow() as uow:
        return uow.subscriptions.held_back(limit=limit)
