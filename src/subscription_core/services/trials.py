"""Free trials (C4, S12): a customer starts one on a plan that offers it; a new purchase naming it converts it.

A company gets one free trial per product, ever (S12). The use case refuses a second one from the
company's subscriptions; two started at once both find none, so the store holds the line: it keeps one
trial per company and product (a unique index), the loser's commit conflicts, and the use case, run
again, finds the winner's trial and refuses with S12.
"""

from __future__ import annotations

import datetime as dt
import logging

from subscription_core import lifecycle
from subscription_core.customers import Actor
from subscription_core.errors import checked_id
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
        NotEligibleError: (C4) the plan offers no trial; (S12) the company already had a trial of the
            product (running, ended or converted). NotFoundError: unknown customer or plan.
        PermissionDeniedError: (A1-A3). ConflictError: the key was used for another request.
    """
    customer_id = checked_id(customer_id, field="customer_id")
    require_actor(actor)
    note = require_reason(actor, reason, "free trial started")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Subscription]:
        customer = uow.customers.get(customer_id)
        require_orderer(actor, customer, OrderKind.NEW_PURCHASE)
        product, chosen = deps.catalog.plan_entry(plan)
        held = uow.subscriptions.of_customer(customer.id)
        opening = Opening(subscription_id=deps.ids.new_id("sub"), customer_id=customer.id, product=product)
        outcome = lifecycle.start_trial(opening, chosen, now, actor=actor, reason=note, held=held)
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
