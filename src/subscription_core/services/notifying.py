"""Saving a changed subscription together with its notices, and writing order notices (N1, N2).

Every notice is written to the unit of work's outbox in the same transaction as the change it tells of
(N2), once by e-mail and once in-app (N1). Message ids are derived from what happened, never drawn from
a generator, so a retried use case writes the same ids and the outbox keeps one message per event:

* a subscription notice: ``<subscription>:<version>:<kind>:<channel>`` (``OutboxMessage.of_notice``);
* an order notice: ``<order>:<kind>[:<part>]:<channel>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from subscription_core.lifecycle import Outcome
from subscription_core.notices import Channel, OrderNoticeKind, OutboxMessage
from subscription_core.orders import Order
from subscription_core.ports import UnitOfWork
from subscription_core.subscriptions import Subscription

__all__ = ["order_notice", "save_outcome", "save_outcomes", "write_notices"]


def write_notices(
    uow: UnitOfWork, outcome: Outcome, *, email: str | None = None, into: list[OutboxMessage] | None = None
) -> int:
    """Queue the notices of ``outcome`` for the subscription's customer, by e-mail and in-app (N1, N2).

    The e-mail goes to the customer's subscriber address (``email``, when the caller has already read it
    for many subscriptions at once); the in-app notice to the customer. Returns how many messages were
    new (a retry finds its messages already queued). With ``into``, the messages are appended to it
    instead, for the caller to queue with everything else in one ``add_many``; it returns how many.

    Raises:
        NotFoundError: the subscription's customer is unknown.
    """
    if not outcome.notices:
        return 0
    subscription = outcome.subscription
    email = email or uow.customers.get(subscription.customer_id).subscriber.email
    first = subscription.version - len(outcome.notices)
    messages = [
        OutboxMessage.of_notice(notice, channel=channel, recipient=recipient, sequence=first + index)
        for index, notice in enumerate(outcome.notices, start=1)
        for channel, recipient in ((Channel.EMAIL, email), (Channel.IN_APP, subscription.customer_id))
    ]
    return _queue(uow, messages, into)


def _queue(uow: UnitOfWork, messages: list[OutboxMessage], into: list[OutboxMessage] | None) -> int:
    if into is None:
        return uow.outbox.add_many(messages)
    into.extend(messages)
    return len(messages)


def save_outcome(uow: UnitOfWork, before: Subscription | None, outcome: Outcome) -> Subscription:
    """Store the subscription of ``outcome`` (new when ``before`` is ``None``) and queue its notices (S9, N2).

    Raises:
        ConflictError: someone saved the subscription since ``before`` was read.
    """
    after = outcome.subscription
    if before is None:
        uow.subscriptions.add(after)
    elif after.version != before.version:
        uow.subscriptions.save(after, expected_version=before.version)
    write_notices(uow, outcome)
    return after


def save_outcomes(
    uow: UnitOfWork, outcomes: Sequence[tuple[Subscription | None, Outcome]], *, into: list[OutboxMessage]
) -> None:
    """Store many outcomes as :func:`save_outcome` does, in few statements, their notices appended to ``into``.

    New subscriptions are added, changed ones saved with one ``save_many``, and the e-mail addresses of the
    customers with notices read with one ``get_many``; the caller queues ``into`` with one ``add_many``.

    Raises:
        ConflictError: someone saved one of the subscriptions since it was read (roll the unit back).
    """
    for before, outcome in outcomes:
        if before is None:
            uow.subscriptions.add(outcome.subscription)
    changed = [
        (o.subscription, b.version) for b, o in outcomes if b is not None and o.subscription.version != b.version
    ]
    uow.subscriptions.save_many(changed)
    noticed = list({o.subscription.customer_id for _, o in outcomes if o.notices})
    emails = {cid: customer.subscriber.email for cid, customer in uow.customers.get_many(noticed).items()}
    for _, outcome in outcomes:
        write_notices(uow, outcome, email=emails.get(outcome.subscription.customer_id), into=into)


def order_notice(
    uow: UnitOfWork,
    order: Order,
    kind: OrderNoticeKind,
    at: dt.datetime,
    *,
    data: Mapping[str, str] | None = None,
    part: str = "",
    email: str | None = None,
    into: list[OutboxMessage] | None = None,
) -> None:
    """Queue an order notice by e-mail to ``email`` (default: the order's recipient, B3) and in-app (N1, N2).

    The in-app notice goes to the order's customer, or for a bulk renewal to the accountant who placed it.
    With ``into``, the messages are appended to it for the caller to queue (see :func:`write_notices`).
    """
    facts = {"order_id": order.id, "total": str(order.grand_total), "state": order.state.value, **(data or {})}
    in_app = order.customer_id if order.customer_id is not None else order.placed_by.id
    stem = f"{order.id}:{kind.value}" + (f":{part}" if part else "")
    _queue(
        uow,
        [
            OutboxMessage(
                id=f"{stem}:{channel.value}",
                kind=kind.value,
                channel=channel,
                recipient=recipient,
                subject_id=order.id,
                created_at=at,
                data=facts,
            )
            for channel, recipient in ((Channel.EMAIL, email or order.notify.email), (Channel.IN_APP, in_app))
        ],
        into,
    )
