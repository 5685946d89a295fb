"""The in-memory unit of work: one transaction over every repository and the outbox (the ``UnitOfWork`` port).

It behaves as a database transaction at PostgreSQL's default READ COMMITTED level would: reads see what
other units have committed, beneath this unit's own writes; writes stay private until :meth:`commit`,
which checks under the store's lock that no other unit committed over them (optimistic versions, unique
keys, redemption limits) and then applies them all at once, or raises ``ConflictError`` and applies none.
Leaving the ``with`` block without committing, or by an exception, discards every write, outbox included.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

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
from subscription_core_adapters.memory.customers import MemoryCustomerRepository
from subscription_core_adapters.memory.idempotency import MemoryIdempotencyStore
from subscription_core_adapters.memory.invoices import MemoryInvoiceRepository
from subscription_core_adapters.memory.orders import MemoryOrderRepository
from subscription_core_adapters.memory.outbox import MemoryOutbox
from subscription_core_adapters.memory.payments import MemoryPaymentRepository
from subscription_core_adapters.memory.promotions import MemoryPromotionRepository
from subscription_core_adapters.memory.refunds import MemoryRefundRepository
from subscription_core_adapters.memory.store import MemoryStore
from subscription_core_adapters.memory.subscriptions import MemorySubscriptionRepository
from subscription_core_adapters.memory.tables import Table, TableView
from subscription_core_adapters.memory.unapplied import MemoryUnappliedMoneyRepository

__all__ = ["MemoryUnitOfWork", "MemoryUnitOfWorkFactory"]


class MemoryUnitOfWork:
    """A unit of work on a :class:`MemoryStore`; use it as a context manager, once per use case call.

    Construct with ``MemoryUnitOfWork(store)``; several may be open at once on one store, in one thread or
    many. It may commit more than once: each :meth:`commit` makes what was written since durable.
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

    def __init__(self, store: MemoryStore) -> None:
        """Open views on every table of ``store``; nothing is read yet."""
        self._store = store
        self._views: list[TableView[Any, Any]] = []
        s = store
        self.customers = MemoryCustomerRepository(self._view(s.customers))
        self.subscriptions = MemorySubscriptionRepository(self._view(s.subscriptions))
        self.orders = MemoryOrderRepository(self._view(s.orders))
        self.payments = MemoryPaymentRepository(
            self._view(s.payments), self._view(s.proofs), self._view(s.notifications)
        )
        self._promotions = MemoryPromotionRepository(self._view(s.promotions), self._view(s.redemptions))
        self.promotions = self._promotions
        self.invoices = MemoryInvoiceRepository(
            self._view(s.invoices), self._view(s.invoice_requests), self._view(s.invoice_adjustments)
        )
        self.unapplied = MemoryUnappliedMoneyRepository(self._view(s.unapplied))
        self.refunds = MemoryRefundRepository(self._view(s.refunds))
        self.outbox = MemoryOutbox(self._view(s.outbox))
        self.idempotency = MemoryIdempotencyStore(self._view(s.idempotency))

    def _view(self, table: Table[Any, Any]) -> TableView[Any, Any]:
        view: TableView[Any, Any] = TableView(table, self._store.lock)
        self._views.append(view)
        return view

    def __enter__(self) -> Self:
        """Begin the transaction with nothing pending."""
        self.rollback()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Discard whatever was not committed (everything, after an exception)."""
        self.rollback()

    def commit(self) -> None:
        """Make every write since the last commit durable and visible, atomically.

        Raises:
            ConflictError: another unit committed first over a row written here (a stale version), a unique
                key (an id, a notification, an invoice part, an outbox id, an idempotency key, a tax code),
                or the redemptions a limit allows (P9). Nothing is applied; the writes stay pending until
                the block ends or :meth:`rollback` is called.
        """
        with self._store.lock:
            for view in self._views:
                view.verify()
            self._promotions.verify_limits()
            for view in self._views:
                view.apply()
        self._promotions.forget_limits()

    def rollback(self) -> None:
        """Discard every write since the last commit."""
        for view in self._views:
            view.discard()
        self._promotions.forget_limits()


class MemoryUnitOfWorkFactory:
    """Makes a new :class:`MemoryUnitOfWork` on one store for each use case call (the ``UnitOfWorkFactory`` port).

    ``MemoryUnitOfWorkFactory()`` makes its own empty store; pass ``store`` to share one. The store is
    :attr:`store`.
    """

    def __init__(self, store: MemoryStore | None = None) -> None:
        """Use ``store``, or a new empty one."""
        self.store = store if store is not None else MemoryStore()

    def __call__(self) -> MemoryUnitOfWork:
        """Return a fresh unit of work, not yet begun."""
        return MemoryUnitOfWork(self.store)
