"""What the SQL repositories remember within a transaction to skip statements, and that it never goes stale.

An order's lines are frozen (C5) and a subscription's history is append-only (S9): within one unit of work
the repositories remember what they read or wrote (version, lines, history length) and skip rewriting the
lines or counting the history on save. Each test checks the stored result, and the statements sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
from sqlalchemy import Engine, event

from subscription_core import lifecycle
from subscription_core.orders import OrderState
from subscription_core.services import NotificationStatus
from subscription_core_adapters.sql import SqlUnitOfWorkFactory

from .builders import STAFF, at, customer, order, subscription
from .test_unapplied_money import Shop


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]).split(None, 1)[0].upper() + " " + str(args[2]).split(" FROM ")[-1][:40])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def writes_to(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if table in s and not s.startswith("SELECT")]


def test_c5_an_order_saved_in_the_unit_that_read_it_keeps_its_lines_without_rewriting_them(
    units: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    placed = order("ord-1", pay_by=at(3))
    with units() as uow:
        uow.orders.add(placed)
        uow.commit()
    with units() as uow, statements(engine) as seen:
        read = uow.orders.get("ord-1")
        cancelled = read.cancel(at=at(1), by=STAFF, reason="customer asked")
        uow.orders.save(cancelled, expected_version=read.version)
        uow.commit()
    assert not [s for s in seen if s.startswith(("DELETE", "INSERT"))]
    with units() as uow:
        assert uow.orders.get("ord-1") == cancelled


def test_c5_an_order_saved_with_other_lines_or_unread_gets_them_rewritten(units: SqlUnitOfWorkFactory) -> None:
    placed = order("ord-1", pay_by=at(3))
    with units() as uow:
        uow.orders.add(placed)
        uow.commit()
    fewer = attrs.evolve(placed, lines=placed.lines[:1], version=placed.version + 1)
    with units() as uow:
        uow.orders.get("ord-1")
        uow.orders.save(fewer, expected_version=placed.version)
        uow.commit()
    with units() as uow:
        assert uow.orders.get("ord-1").lines == fewer.lines
    again = attrs.evolve(placed, version=fewer.version + 1)
    with units() as uow:  # not read in this unit: the lines are rewritten
        uow.orders.save(again, expected_version=fewer.version)
        uow.commit()
    with units() as uow:
        assert uow.orders.get("ord-1").lines == placed.lines


def test_s9_history_appended_from_what_the_unit_read_and_counted_when_unread(
    units: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    with units() as uow:
        uow.customers.add(customer("cus-1"))
        uow.subscriptions.add(subscription("sub-1"))
        uow.commit()
    with units() as uow, statements(engine) as seen:
        read = uow.subscriptions.get("sub-1")
        first = lifecycle.cancel(read, at(1), actor=STAFF, reason="asked").subscription
        uow.subscriptions.save(first, expected_version=read.version)
        uow.commit()
    assert not [s for s in seen if s.startswith("SELECT COUNT")]
    assert len(writes_to(seen, "subscription_history")) == 1
    with units() as uow:
        stored = uow.subscriptions.get("sub-1")
    assert stored == first
    assert len(stored.history) == len(read.history) + 1


def test_s9_after_a_rollback_the_unit_counts_the_history_again(units: SqlUnitOfWorkFactory) -> None:
    with units() as uow:
        uow.customers.add(customer("cus-1"))
        uow.subscriptions.add(subscription("sub-1"))
        uow.commit()
    with units() as uow:
        read = uow.subscriptions.get("sub-1")
        cancelled = lifecycle.cancel(read, at(1), actor=STAFF, reason="asked").subscription
        uow.subscriptions.save(cancelled, expected_version=read.version)
        uow.rollback()  # the save is gone; what the unit remembered must be too
        uow.subscriptions.save(cancelled, expected_version=read.version)
        uow.commit()
    with units() as uow:
        assert uow.subscriptions.get("sub-1") == cancelled


def test_o7_p9_a_paid_notification_reads_nothing_its_order_cannot_have_yet(engine: Engine) -> None:
    """A just-paid order has no invoice, no invoice request and (without promotions) no redemption: none is read.

    The invoice is then issued from the request and the order fulfilment holds, each read once (the request,
    to record the outcome against it as stored), and the result is what reading them would have given.
    """
    shop = Shop(engine)
    order = shop.place()
    shop.start(order)
    read: list[str] = []

    def record(*args: object) -> None:
        read.extend(re.findall(r"\bFROM\s+(\w+)", str(args[2])))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert shop.pay(order, "evt-1") is NotificationStatus.APPLIED
    finally:
        event.remove(engine, "before_cursor_execute", record)
    reads = sorted(read)
    assert "invoices" not in reads, reads
    assert "redemptions" not in reads, reads
    # The order with its lines, and the request to record the outcome against, each read once.
    assert reads.count("orders") == reads.count("order_lines") == reads.count("invoice_requests") == 1, reads
    [issued] = shop.issuer.issued
    with shop.deps.uow() as uow:
        [request] = uow.invoices.requested_of(order.id)
        pending = uow.outbox.pending(shop.clock.now(), limit=100)
    assert not request.pending
    assert issued.order_id == order.id
    notices = {m.id: m for m in pending if m.kind == "invoice_issued"}
    email = notices[f"{order.id}:invoice_issued:0:email"]
    assert email.recipient == request.request.buyer.email
    facts = dict(email.data)
    assert (facts["order_id"], facts["number"], facts["state"]) == (order.id, issued.number, "fulfilled")
    assert shop.order(order.id).state is OrderState.FULFILLED
