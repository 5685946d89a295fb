"""In-memory adapters of the repository ports: a store, units of work over it, and their repositories.

Wire them with::

    factory = MemoryUnitOfWorkFactory()          # or MemoryUnitOfWorkFactory(MemoryStore()) to share one
    with factory() as uow:
        uow.customers.add(customer)
        uow.commit()

Units of work behave as database transactions (see :mod:`subscription_core_adapters.memory.unit_of_work`); the same
contract tests (``tests/contract``) run on this adapter and on the SQL ones.
"""

from subscription_core_adapters.memory.customers import MemoryCustomerRepository
from subscription_core_adapters.memory.idempotency import MemoryIdempotencyStore
from subscription_core_adapters.memory.invoices import MemoryInvoiceRepository
from subscription_core_adapters.memory.orders import MemoryOrderRepository
from subscription_core_adapters.memory.outbox import Delivery, MemoryOutbox
from subscription_core_adapters.memory.payments import MemoryPaymentRepository, ProcessedNotification
from subscription_core_adapters.memory.promotions import MemoryPromotionRepository
from subscription_core_adapters.memory.store import MemoryStore
from subscription_core_adapters.memory.subscriptions import MemorySubscriptionRepository
from subscription_core_adapters.memory.unit_of_work import MemoryUnitOfWork, MemoryUnitOfWorkFactory

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
