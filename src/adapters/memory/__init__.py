"""In-memory adapters of the repository ports: a store, units of work over it, and their repositories.

Wire them with::

    factory = MemoryUnitOfWorkFactory()          # or MemoryUnitOfWorkFactory(MemoryStore()) to share one
    with factory() as uow:
        uow.customers.add(customer)
        uow.commit()

Units of work behave as database transactions (see :mod:`adapters.memory.unit_of_work`); the same
contract tests (``tests/contract``) run on this adapter and on the SQL ones.
"""

from adapters.memory.customers import MemoryCustomerRepository
from adapters.memory.idempotency import MemoryIdempotencyStore
from adapters.memory.invoices import MemoryInvoiceRepository
from adapters.memory.orders import MemoryOrderRepository
from adapters.memory.outbox import Delivery, MemoryOutbox
from adapters.memory.payments import MemoryPaymentRepository, ProcessedNotification
from adapters.memory.promotions import MemoryPromotionRepository
from adapters.memory.store import MemoryStore
from adapters.memory.subscriptions import MemorySubscriptionRepository
from adapters.memory.unit_of_work import MemoryUnitOfWork, MemoryUnitOfWorkFactory

__all__ = [
    "Delivery",
    "MemoryCustomerRepository",
    "MemoryIdempotencyStore",
    "MemoryInvoiceRepository",
    "MemoryOrderRepository",
    "MemoryOutbox",
    "MemoryPaymentRepository",
    "MemoryPromotionRepository",
    "MemoryStore",
    "MemorySubscriptionRepository",
    "MemoryUnitOfWork",
    "MemoryUnitOfWorkFactory",
    "ProcessedNotification",
]
