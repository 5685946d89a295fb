"""Fakes of the external systems behind ports: a payment gateway, its refund API, a notifier, an e-invoice issuer.

They behave as the real systems do where it matters to the core (signatures, idempotency, numbering) and
run in process with no network, for tests, demos and local runs.
"""

from subscription_core_adapters.fakes.invoices import MemoryInvoiceIssuer
from subscription_core_adapters.fakes.notifier import RecordingNotifier
from subscription_core_adapters.fakes.payment_status import FakePaymentStatusQuery
from subscription_core_adapters.fakes.payments import FakePaymentProvider
from subscription_core_adapters.fakes.refunds import FakeRefundGateway

__all__ = [
    "FakePaymentProvider",
    "FakePaymentStatusQuery",
    "FakeRefundGateway",
    "MemoryInvoiceIssuer",
    "RecordingNotifier",
]
