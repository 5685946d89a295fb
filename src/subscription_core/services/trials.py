"""Free trials (C4): a customer starts one on a plan that offers it; a new purchase naming it converts it."""

from __future__ import annotations

import datetime as dt
import logging

from subscription_core import lifecycle
from subscription_core.customers import Actor
from subscription_core.orders import OrderKind
from subscription_core.ports import UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.notifying import save_outcome
from subscription_core.services.permissions import require_actor, require_orderer, require_reason
from subscription_core.subscriptions import Opening, Subscription

__all__ = ["start_trial"]

_log = logging.getLogger(__name__)


def start_trial(
    deps: Services, actor: Actor, *, customer_id: str, plan: str, idempotency_key: str, reason: str = ""
) -> Subscription:
    """Start a free trial of ``plan`` for a customer (C4); it becomes paid when a new purchase naming it is paid.

    Who may order a new purchase may start a trial (A1, A2).

    Raises:
        NotEligibleError: (C4) the plan offers no trial. NotFoundError: unknown customer or plan.
        PermissionDeniedError: (A1-A3). ConflictError: the key was used for another request.
    """
    require_actor(actor)
    note = require_reason(actor, reason, "free trial started")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Subscription]:
        customer = uow.customers.get(customer_id)
        require_orderer(actor, customer, OrderKind.NEW_PURCHASE)
        product, chosen = deps.catalog.plan_entry(plan)
        opening = Opening(subscription_id=deps.ids.new_id("sub"), customer_id=customer.id, product=product)
        outcome = lifecycle.start_trial(opening, chosen, now, actor=actor, reason=note)
        trial = save_outcome(uow, None, outcome)
        _log.info("trial %s started for customer %s", trial.id, customer.id)
        return trial.id, trial

    digest = fingerprint(customer_id=customer_id, plan=plan, reason=note)
    return run_once(
        deps,
        actor,
        name="start_trial",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, sid: uow.subscriptions.get(sid),
    )
