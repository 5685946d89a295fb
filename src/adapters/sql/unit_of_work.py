"""The SQL unit of work: one database transaction over every repository and the outbox (the ``UnitOfWork`` port).

A unit of work holds one connection from the engine's pool for its ``with`` block. Its transaction begins
with the first statement (SQLAlchemy's autobegin); :meth:`SqlUnitOfWork.commit` commits it, and the next
statement begins another. Leaving the block without committing, or by an exception, rolls back everything
written since the last commit, outbox included. Reads see what other transactions committed (READ
COMMITTED on PostgreSQL); writes stay invisible to them until commit.

A lost race surfaces as ``ConflictError``: a stale version on save, or :class:`TransientConflictError` when
the database reports a serialization failure, a deadlock, a lock wait timing out or (SQLite) a busy
database. :func:`run_in_transaction` runs a use case again, a bounded number of times, on the latter.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from types import TracebackType
from typing import Final, Self, TypeVar

from sqlalchemy import Connection, Engine

from subscription_core.errors import ConflictError, SubscriptionError, ValidationError
from subscription_core.ports import (
    CustomerRepository,
    IdempotencyStore,
    InvoiceRepository,
    OrderRepository,
    Outbox,
    PaymentRepository,
    PromotionRepository,
    RefundRepository,
    SubscriptionRepository,
    UnappliedMoneyRepository,
)
from subscription_core_adapters.sql.customers import SqlCustomerRepository
from subscription_core_adapters.sql.driver_errors import TransientConflictError, translated
from subscription_core_adapters.sql.idempotency import SqlIdempotencyStore
from subscription_core_adapters.sql.invoices import SqlInvoiceRepository
from subscription_core_adapters.sql.orders import SqlOrderRepository
from subscription_core_adapters.sql.outbox import SqlOutbox
from subscription_core_adapters.sql.payments import SqlPaymentRepository
from subscription_core_adapters.sql.promotions import SqlPromotionRepository
from subscription_core_adapters.sql.refunds import SqlRefundRepository
from subscription_core_adapters.sql.rows import Rows
from subscription_core_adapters.sql.subscriptions import SqlSubscriptionRepository
from subscription_core_adapters.sql.unapplied import SqlUnappliedMoneyRepository

__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory", "run_in_transaction"]

T = TypeVar("T")

DEFAULT_ATTEMPTS: Final = 5


class SqlUnitOfWork:
    """A unit of work on an engine; use it as a context manager, once per use case call.

    It may commit more than once: each :meth:`commit` makes what was written since durable.
    """

    customers: CustomerRepository
    subscriptions: SubscriptionRepository
    orders: OrderRepository
    payments: PaymentRepository
    promotions: PromotionRepository
    invoices: InvoiceRepository
    unapplied: UnappliedMoneyRepository
    refunds: RefundRepository
    outbox: Outbox
    idempotency: IdempotencyStore

    def __init__(self, engine: Engine) -> None:
        """Prepare the repositories; nothing connects until the ``with`` block begins."""
        self._engine = engine
        self._rows = Rows()
        self._connection: Connection | None = None
        self.customers = SqlCustomerRepository(self._rows)
        self.subscriptions = SqlSubscriptionRepository(self._rows)
        self.orders = SqlOrderRepository(self._rows)
        self.payments = SqlPaymentRepository(self._rows)
        self.promotions = SqlPromotionRepository(self._rows)
        self.invoices = SqlInvoiceRepository(self._rows)
        self.unapplied = SqlUnappliedMoneyRepository(self._rows)
        self.refunds = SqlRefundRepository(self._rows)
        self.outbox = SqlOutbox(self._rows)
        self.idempotency = SqlIdempotencyStore(self._rows)

    def __enter__(self) -> Self:
        """Take a connection from the pool; the transaction begins with the first statement.

        Raises:
            SubscriptionError: the unit of work is already in use, or the database cannot be reached.
        """
        if self._connection is not None:
            raise SubscriptionError("this unit of work is already begun; make a new one per use case", field="uow")
        with translated("connect to the database"):
            self._connection = self._engine.connect()
        self._rows.bind(self._connection)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back whatever was not committed and give the connection back.

        Raises:
            SubscriptionError: the rollback failed on a block that ended normally. After an exception the
                exception propagates instead: closing the connection discards the transaction anyway.
        """
        connection, self._connection = self._connection, None
        self._rows.bind(None)
        if connection is None:
            return
        try:
            with translated("roll back"):
                connection.rollback()
        except SubscriptionError:
            if exc is None:
                raise
        finally:
            connection.close()

    def _begun(self) -> Connection:
        if self._connection is None:
            raise SubscriptionError("the unit of work is not begun: use it in a 'with' block", field="uow")
        return self._connection

    def commit(self) -> None:
        """Make every change since the last commit durable and visible, atomically.

        Raises:
            TransientConflictError: the database refused the commit because of a concurrent transaction
                (nothing is applied; run the unit of work again).
            ConflictError: a deferred constraint failed at commit.
        """
        with translated("commit"):
            self._begun().commit()

    def rollback(self) -> None:
        """Discard every change since the last commit."""
        self._rows.forget()
        with translated("roll back"):
            self._begun().rollback()


class SqlUnitOfWorkFactory:
    """Makes a new :class:`SqlUnitOfWork` on one engine for each use case call (the ``UnitOfWorkFactory`` port)."""

    def __init__(self, engine: Engine) -> None:
        """Make units of work on ``engine`` (see :mod:`subscription_core_adapters.sql.engine`)."""
        self.engine = engine

    def __call__(self) -> SqlUnitOfWork:
        """Return a fresh unit of work, not yet begun."""
        return SqlUnitOfWork(self.engine)


def run_in_transaction(
    new_unit: Callable[[], SqlUnitOfWork],
    work: Callable[[SqlUnitOfWork], T],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    first_delay: float = 0.01,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``work`` in a new unit of work, again (at most ``attempts`` times in all) while the database reports a race.

    ``work`` receives the begun unit of work and commits it itself. A :class:`TransientConflictError`
    (serialization failure, deadlock, lock timeout, SQLite busy) discards the attempt and, after an
    exponentially growing, jittered pause starting at ``first_delay`` seconds, runs ``work`` again from
    the start in a fresh unit of work. Any other error is raised at once.

    Raises:
        ConflictError: still refused after ``attempts`` runs; chained to the last refusal.
        ValidationError: ``attempts`` is not a whole number >= 1.
    """
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        raise ValidationError("must be a whole number >= 1", field="attempts", value=attempts)
    for attempt in range(1, attempts + 1):
        try:
            with new_unit() as uow:
                return work(uow)
        except TransientConflictError as exc:
            if attempt == attempts:
                raise ConflictError(
                    f"gave up after {attempts} attempts: concurrent transactions kept interfering ({exc.message})",
                    field="transaction",
                    value=attempts,
                ) from exc
            sleep(first_delay * 2 ** (attempt - 1) * (1 + random.random()))  # noqa: S311 - jitter, not crypto
    raise AssertionError  # unreachable: the loop returns or raises
