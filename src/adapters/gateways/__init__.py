"""Real payment gateways behind the ``PaymentProvider`` port: one module per gateway (VNPay, NgânLượng).

Each module builds the gateway's signed payment request, verifies its callbacks in constant time and reads
them into the core's ``ProviderNotification``; the core decides what a notification may do (Y5). VNPay's
merchant API (refunds and queries, Y8) has its own client, :class:`VnpayApiClient`, behind the core's
``RefundGateway`` port as :class:`VnpayRefundGateway` and the ``PaymentStatusQuery`` port as
:class:`VnpayPaymentStatusQuery`. See
``docs/adapters/vnpay.md`` for wiring one and for writing another (VNPT Pay, MoMo). NgânLượng's checkout
(:class:`NganLuongProvider`) confirms every return with its server before the core applies it; see
``docs/adapters/nganluong.md``.
"""

from subscription_core_adapters.gateways.nganluong import (
    NganLuongBuyer,
    NganLuongConfig,
    NganLuongProvider,
)
from subscription_core_adapters.gateways.nganluong_callbacks import NganLuongReturn, answer_return
from subscription_core_adapters.gateways.nganluong_callbacks import ReturnOutcome as NganLuongOutcome
from subscription_core_adapters.gateways.nganluong_status import NganLuongPaymentStatusQuery
from subscription_core_adapters.gateways.vnpay import (
    IpnAnswer,
    IpnCode,
    ReturnOutcome,
    VnpayConfig,
    VnpayProvider,
    VnpayReturn,
    answer_ipn,
    query_fields,
)
from subscription_core_adapters.gateways.vnpay_api import VnpayApiClient, VnpayApiConfig, read_event_id
from subscription_core_adapters.gateways.vnpay_api_results import (
    Outcome,
    QueriedTransaction,
    QueryResult,
    RefundKind,
    RefundResult,
    TransactionKind,
    TransactionStatus,
)
from subscription_core_adapters.gateways.vnpay_refunds import VnpayRefundGateway
from subscription_core_adapters.gateways.vnpay_status import VnpayPaymentStatusQuery

__all__ = [
    "IpnAnswer",
    "IpnCode",
    "NganLuongBuyer",
    "NganLuongConfig",
    "NganLuongOutcome",
    "NganLuongPaymentStatusQuery",
    "NganLuongProvider",
    "NganLuongReturn",
    "Outcome",
    "QueriedTransaction",
    "QueryResult",
    "RefundKind",
    "RefundResult",
    "ReturnOutcome",
    "TransactionKind",
    "TransactionStatus",
    "VnpayApiClient",
    "VnpayApiConfig",
    "VnpayConfig",
    "VnpayPaymentStatusQuery",
    "VnpayProvider",
    "VnpayRefundGateway",
    "VnpayReturn",
    "answer_ipn",
    "answer_return",
    "query_fields",
    "read_event_id",
]
