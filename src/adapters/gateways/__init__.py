"""Real payment gateways behind the ``PaymentProvider`` port: one module per gateway (VNPay so far).

Each module builds the gateway's signed payment request, verifies its callbacks in constant time and reads
them into the core's ``ProviderNotification``; the core decides what a notification may do (Y5). See
``docs/adapters/vnpay.md`` for wiring one and for writing another (NganLuong, VNPT Pay, MoMo).
"""

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

__all__ = [
    "IpnAnswer",
    "IpnCode",
    "ReturnOutcome",
    "VnpayConfig",
    "VnpayProvider",
    "VnpayReturn",
    "answer_ipn",
    "query_fields",
]
