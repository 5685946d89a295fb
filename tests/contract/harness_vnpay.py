"""The vnpay adapters' entries (merged into ``registry.PAYMENT_PROVIDERS`` by conftest.py).

``notify`` plays VNPay's side: the IPN it sends for an order, signed as VNPay's published Python sample
signs (sorted ``vnp_`` fields, ``quote_plus``, HMAC-SHA512), written here apart from the adapter. The
contract's ``event_id`` names the attempt (it is the payment id in the ``vnp_TxnRef``) and gives the
transaction number VNPay would assign to a success; a failure carries VNPay's ``0``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Mapping
from decimal import Decimal
from urllib.parse import quote_plus

from subscription_core.orders import Order
from subscription_core.payments import MethodKind
from subscription_core_adapters.gateways import VnpayConfig, VnpayProvider
from subscription_core_adapters.gateways.vnpay import txn_ref_for
from subscription_core_adapters.local import ManualClock

from .registry import ProviderHarness

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
