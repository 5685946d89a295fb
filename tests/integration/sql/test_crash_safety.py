"""A unit of work that fails between any two of its writes leaves every table exactly as it was (N2).

A use case that writes to every table is run once per statement it sends, with a fault injected before
that statement; each time, the contents of every table are compared with those before. The process dying
mid-transaction (SQLite) and the server killing the connection (PostgreSQL) leave no trace either.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text

from subscription_core.errors import SubscriptionError
from subscription_core.invoices import RequestedInvoice, invoice_requests
from subscription_core.lifecycle import advance
from subscription_core.money import Money
from subscription_core.payments import Payment, PaymentMethod, PaymentProof
from subscription_core.ports import IdempotencyRecord
from subscription_core.refund_invoices import RequestedAdjustment, refund_lines
from subscription_core.refunds import Refund, RefundKind, RefundMethod
from subscription_core.unapplied import UnappliedMoney, UnappliedReason
from subscription_core_adapters.sql import SqlUnitOfWork, SqlUnitOfWorkFactory, sqlite_engine
from subscription_core_adapters.sql.schema import metadata

from .builders import STAFF, T0, at, customer, issued_invoice, message, order, promotion, redemption, subscription

Contents = dict[str, list[tuple[Any, ...]]]


class InjectedFaultError(Exception):
    """The fault a test injects before a statement."""


def contents(engine: Engine) -> Contents:
    """Every row of every table, in primary-key order."""
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
            for table in metadata.sorted_tables
        }


PLACED = order("ord-1", pay_by=at(3))
SUBSCRIPTION = subscription("sub-1")


def seed(units: SqlUnitOfWorkFactory) -> None:
    with units() as uow:
        uow.customers.add(customer("cus-1", n=1))
        uow.subscriptions.add(SUBSCRIPTION)
        uow.orders.add(PLACED)
        uow.promotions.add(promotion("SALE", limit=10))
        assert uow.promotions.reserve(redemption("SALE", "ord-1"), limit=10, per_customer_limit=None)
        assert uow.outbox.add(message("msg-1"))
        uow.commit()


def write_everywhere(uow: SqlUnitOfWork) -> None:
    """A use case touching every table: inserts, versioned updates, appended history, rewritten lines."""
    stored = uow.customers.get("cus-1")
    uow.customers.save(stored.grant_buying_right("u-1"), expected_version=stored.version)
    uow.customers.add(customer("cus-2", n=2))
    sub = uow.subscriptions.get("sub-1")
    uow.subscriptions.save(advance(sub, at(25)).subscription, expected_version=sub.version)
    uow.subscriptions.add(subscription("sub-2", customer_id="cus-2"))
    paid = PLACED.mark_paid(at=at(1), payment_id="pay-1", by=STAFF)
    uow.orders.save(paid, expected_version=PLACED.version)
    uow.orders.add(order("ord-2", customer_id="cus-2", pay_by=at(3)))
    [held] = uow.promotions.redemptions_of("ord-1")
    uow.promotions.save_redemption(held.consume(at(1)))
    assert uow.promotions.reserve(redemption("SALE", "ord-2", customer_id="cus-2"), limit=10, per_customer_limit=None)
    uow.promotions.add(promotion("NEW"))
    assert uow.payments.record_notification("vnpay", "evt-1", order_id="ord-1", at=at(1))
    uow.payments.add(Payment.start(id="pay-1", order=PLACED, method=PaymentMethod.domestic_card("VCB"), at=T0))
    proof = PaymentProof(
        id="prf-1", order_id="ord-2", transfer_content="ord-2", attachment="f-1", submitted_at=T0, submitted_by=STAFF
    )
    uow.payments.add_proof(proof)
    uow.invoices.add(issued_invoice("ord-1"))
    uow.invoices.request_many([RequestedInvoice.of(invoice_requests(paid, at(1))[0])])
    uow.outbox.mark_sent("msg-1", at(1))
    assert uow.outbox.add(message("msg-2", created=at(1)))
    record = IdempotencyRecord(key="req-1", fingerprint="sha256:aa", outcome="ord-2", created_at=T0)
    uow.idempotency.put("place_order", record)
    kept = UnappliedMoney(
        id="una-1",
        source="vnpay",
        reference="evt-2",
        amount=PLACED.grand_total,
        received_at=at(1),
        recorded_at=at(1),
        reason=UnappliedReason.ALREADY_PAID,
        order_id="ord-1",
    )
    assert uow.unapplied.add(kept)
    refund = Refund.request(
        id="rfd-1",
        kind=RefundKind.UNAPPLIED,
        amount=kept.amount,
        refundable=kept.remaining,
        method=RefundMethod.BANK_TRANSFER,
        at=at(1),
        by=STAFF,
        reason="the customer left",
        unapplied_id=kept.id,
        reference="HT-1",
    )
    uow.refunds.add(refund)
    invoiced = invoice_requests(paid, at(1))[0]
    decrease = RequestedAdjustment(
        refund_id=refund.id,
        order_id=invoiced.order_id,
        part=invoiced.part,
        buyer=invoiced.buyer,
        lines=refund_lines(Money.of(1000, "VND"), invoiced.vat_totals, refund_id=refund.id),
        reason="Điều chỉnh giảm do hoàn tiền rfd-1",
        requested_at=at(1),
        next_attempt_at=at(1),
    )
    uow.invoices.request_adjustments([decrease])


@contextmanager
def fault_before_statement(engine: Engine, number: int) -> Iterator[list[int]]:
    """Raise :class:`InjectedFaultError` before the ``number``-th statement sent (1-based); yields the count."""
    sent = [0]

    def before(*_: object) -> None:
        sent[0] += 1
        if sent[0] == number:
            raise InjectedFaultError(number)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", before)


def commit_with_fault(units: SqlUnitOfWorkFactory, number: int) -> None:
    with fault_before_statement(units.engine, number), units() as uow:
        write_everywhere(uow)
        uow.commit()


def write_then_fail(units: SqlUnitOfWorkFactory) -> None:
    with units() as uow:
        write_everywhere(uow)
        raise InjectedFaultError


def test_n2_a_fault_before_any_statement_of_a_unit_leaves_every_table_unchanged(engine: Engine) -> None:
    units = SqlUnitOfWorkFactory(engine)
    seed(units)
    before = contents(engine)
    with fault_before_statement(engine, 0) as sent, units() as uow:  # no fault: count the statements
        write_everywhere(uow)
    statements = sent[0]
    assert statements > 20
    for number in range(1, statements + 1):
        with pytest.raises((InjectedFaultError, SubscriptionError)):
            commit_with_fault(units, number)
        assert contents(engine) == before, f"a fault before statement {number} left a trace"


def test_n2_a_failure_after_the_last_write_leaves_every_table_unchanged_and_a_commit_changes_every_one(
    engine: Engine,
) -> None:
    units = SqlUnitOfWorkFactory(engine)
    seed(units)
    before = contents(engine)
    with pytest.raises(InjectedFaultError):
        write_then_fail(units)
    assert contents(engine) == before
    with units() as uow:
        write_everywhere(uow)
        uow.commit()
    after = contents(engine)
    # The unit of work really writes every table of its own; the e-invoice issuer's tables are written only
    # by the issuer's transactions (subscription_core_adapters.einvoice.sql_store), never by a unit of work.
    untouched = [name for name in before if before[name] == after[name] and not name.startswith("einvoice_")]
    assert untouched == []


CRASHING_WRITER = """
import os, sys
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, sqlite_engine
from tests_sql_builders import customer, subscription, message

units = SqlUnitOfWorkFactory(sqlite_engine(sys.argv[1]))
with units() as uow:
    for i in range(2, 200):
        uow.customers.add(customer(f"cus-{i}", n=i))
        uow.subscriptions.add(subscription(f"sub-{i}", customer_id=f"cus-{i}"))
        uow.outbox.add(message(f"msg-{i}"))
    sys.stdout.write("written\\n")
    sys.stdout.flush()
    os._exit(1)  # the process dies before committing
"""


def test_n2_a_process_dying_mid_unit_leaves_the_sqlite_file_unchanged_and_sound(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    engine = sqlite_engine(path)
    try:
        seed(SqlUnitOfWorkFactory(engine))
        before = contents(engine)
        (tmp_path / "tests_sql_builders.py").write_text(
            (Path(__file__).with_name("builders.py")).read_text(encoding="utf-8"), encoding="utf-8"
        )
        script = tmp_path / "writer.py"
        script.write_text(textwrap.dedent(CRASHING_WRITER), encoding="utf-8")
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, str(script), str(path)], capture_output=True, text=True, check=False, cwd=tmp_path
        )
        assert (done.returncode, done.stdout) == (1, "written\n"), done.stderr
        assert contents(engine) == before
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    finally:
        engine.dispose()


def test_n2_a_connection_killed_mid_unit_leaves_postgresql_unchanged(postgresql_db: Engine) -> None:
    units = SqlUnitOfWorkFactory(postgresql_db)
    seed(units)
    before = contents(postgresql_db)
    with units() as uow:
        uow.customers.add(customer("cus-2", n=2))
        uow.outbox.add(message("msg-2"))
        pid = uow._rows.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with postgresql_db.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(SubscriptionError) as caught:
            uow.subscriptions.add(subscription("sub-2"))
    assert "the database failed" in str(caught.value)
    assert contents(postgresql_db) == before
