"""The scheduler's queries read an index, so they cost the number due, not the number stored (S3, O4, O8)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from sqlalchemy import Engine, event, text

from subscription_core_adapters.sql import SqlUnitOfWork, SqlUnitOfWorkFactory

from .builders import at, order, subscription

STORED = 1500


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Collect every statement sent (with its parameters) while the block runs."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan(engine: Engine, statement: str, parameters: Any) -> str:
    """The database's plan for ``statement``, as text (PostgreSQL: with the rows each step actually read)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return "\n".join(str(row[-1]) for row in rows)
        connection.execute(text("ANALYZE"))
        found = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters).scalar_one()
        return json.dumps(found)


def first_plan(engine: Engine, query: Callable[[SqlUnitOfWork], object]) -> str:
    with SqlUnitOfWorkFactory(engine)() as uow, statements_sent(engine) as sent:
        query(uow)
    statement, parameters = next((s, p) for s, p in sent if s.lstrip().upper().startswith("SELECT"))
    return plan(engine, statement, parameters)


def test_s3_due_reads_the_next_due_index_for_the_few_due_among_many(engine: Engine) -> None:
    units = SqlUnitOfWorkFactory(engine)
    subs = [subscription(f"sub-{i:05d}", start=at(i)) for i in range(STORED)]
    with units() as uow:
        for sub in subs:
            uow.subscriptions.add(sub)
        uow.commit()
    cutoff = sorted(s.next_due_at for s in subs if s.next_due_at is not None)[2]
    with units() as uow:
        assert len(uow.subscriptions.due(cutoff, limit=50)) == 3
    found = first_plan(engine, lambda uow: uow.subscriptions.due(cutoff, limit=50))
    assert "ix_subscriptions_next_due_at_id" in found
    if engine.dialect.name == "postgresql":
        assert '"Actual Rows": 3' in found
        assert '"Seq Scan"' not in found


def test_o4_unpaid_past_deadline_reads_the_state_and_deadline_index(engine: Engine) -> None:
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        for i in range(STORED // 3):
            uow.orders.add(order(f"ord-{i:05d}", pay_by=at(1 + i)))
        uow.commit()
    found = first_plan(engine, lambda uow: uow.orders.unpaid_past_deadline(at(3.5), limit=50))
    assert "ix_orders_state_pay_by" in found
    if engine.dialect.name == "postgresql":
        assert '"Actual Rows": 3' in found


def test_o8_reminders_due_reads_the_state_and_reminder_index(engine: Engine) -> None:
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        for i in range(STORED // 3):
            placed = order(f"ord-{i:05d}", pay_by=at(10 + i))
            uow.orders.add(attrs.evolve(placed, reminder_days=(3, 1)))
        uow.commit()
    # The 3-day reminders of the orders due at 10, 11 and 12 days fall at 6.6, 7.6 and 8.6 days.
    with units() as uow:
        assert len(uow.orders.reminders_due(at(9), limit=50)) == 3
    found = first_plan(engine, lambda uow: uow.orders.reminders_due(at(9), limit=50))
    assert "ix_orders_state_remind_at" in found
    if engine.dialect.name == "postgresql":
        assert '"Actual Rows": 3' in found
