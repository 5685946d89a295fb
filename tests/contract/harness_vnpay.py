"""The vnpay adapters' entries (merged into ``registry.PAYMENT_PROVIDERS`` by conftest.py).

``notify`` plays VNPay's side: the IPN it sends for an order, signed as VNPay's published Python sample
signs (sorted ``vnp_`` fields, ``quote_plus``, HMAC-SHA512), written here apart from the adapter. The
contract's ``event_id`` names the attempt (it is the payment id in the ``vnp_TxnRef``) and gives the
transaction number VNPay would assign to a success; a failure carries VNPay's ``0``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from decimal import Decimal
from urllib.parse import quote_plus

from tests.adapters.gateways.vnpay_api_server import FakeVnpay, start

from subscription_core.orders import Order
from subscription_core.payments import MethodKind
from subscription_core_adapters.gateways import (
    VnpayApiClient,
    VnpayApiConfig,
    VnpayConfig,
    VnpayProvider,
    VnpayRefundGateway,
)
from subscription_core_adapters.gateways.vnpay import txn_ref_for
from subscription_core_adapters.local import ManualClock

from .registry import ProviderHarness, RefundGatewayHarness

_SECRET = b"CONTRACTTESTSECRET0123456789ABCD"
_TMN_CODE = "CONTRACT"


def _checksum(fields: Mapping[str, str]) -> str:
    text = "&".join(f"{name}={quote_plus(value)}" for name, value in sorted(fields.items()))
    return hmac.new(_SECRET, text.encode("utf-8"), hashlib.sha512).hexdigest()


def _transaction_no(event_id: str) -> str:
    return str(int.from_bytes(hashlib.sha256(event_id.encode("utf-8")).digest()[:6], "big"))


def _notify(order: Order, *, event_id: str, succeeded: bool = True, amount: Decimal | None = None) -> dict[str, str]:
    """The IPN VNPay sends about ``order``'s attempt ``event_id``: paid (00/00) or cancelled by the buyer (24/02)."""
    paid = order.grand_total.amount if amount is None else amount
    fields = {
        "vnp_Amount": str(int(paid * 100)),
        "vnp_BankCode": "NCB",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": f"Order {order.id}",
        "vnp_PayDate": "20261123091000",
        "vnp_ResponseCode": "00" if succeeded else "24",
        "vnp_TmnCode": _TMN_CODE,
        "vnp_TransactionNo": _transaction_no(event_id) if succeeded else "0",
        "vnp_TransactionStatus": "00" if succeeded else "02",
        "vnp_TxnRef": txn_ref_for(order.id, event_id),
    }
    return {**fields, "vnp_SecureHash": _checksum(fields)}


def vnpay_harness() -> ProviderHarness:
    """VNPay on its sandbox URL, with a test terminal and secret."""
    config = VnpayConfig(tmn_code=_TMN_CODE, hash_secret=_SECRET, return_url="https://shop.example/vnpay/return")
    clock = ManualClock(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC))
    return ProviderHarness(
        provider=VnpayProvider(config, clock=clock),
        notify=_notify,
        secret=_SECRET,
        signature_field="vnp_SecureHash",
        methods=frozenset({MethodKind.DOMESTIC_CARD, MethodKind.INTERNATIONAL_CARD}),
    )


PAYMENT_PROVIDERS: dict[str, Callable[[], ProviderHarness]] = {"vnpay": vnpay_harness}


# The contract's payments were started at 01:55 UTC (its STARTED_AT): 08:55 in GMT+7, the vnp_CreateDate VNPay
# keeps them under, written here by hand.
_CREATED_ON = "20261123085500"


def _event_id(name: str) -> str:
    """The reference of the contract's payment ``name``: the event id of VNPay's IPN that paid it."""
    return f"{txn_ref_for('ord-contract', name)}:{_transaction_no(name)}:00:00"


@contextlib.contextmanager
def vnpay_refunds() -> Iterator[RefundGatewayHarness]:
    """VNPay's refund API on a local VNPay (127.0.0.1) that signs as VNPay documents, finishing refunds at once."""
    running = start(FakeVnpay(secret=_SECRET.decode(), tmn_code=_TMN_CODE, complete_refunds=True))
    try:
        config = VnpayApiConfig(
            tmn_code=_TMN_CODE, hash_secret=_SECRET, api_url=running.vnpay.url, timeout=dt.timedelta(seconds=5)
        )
        clock = ManualClock(dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC))
        gateway = VnpayRefundGateway(VnpayApiClient(config, clock=clock))

        def knows(name: str, amount: Decimal) -> None:
            running.vnpay.pay(txn_ref_for("ord-contract", name), _CREATED_ON, int(amount))

        yield RefundGatewayHarness(gateway=gateway, knows=knows, reference=_event_id)
    finally:
        running.stop()


REFUND_GATEWAYS: dict[str, Callable[[], AbstractContextManager[RefundGatewayHarness]]] = {"vnpay": vnpay_refunds}
