"""The NgânLượng adapter's entry (merged into ``registry.PAYMENT_PROVIDERS`` by conftest.py).

NgânLượng signs nothing the buyer brings back: the return query names a transaction (its ``token``) and the
adapter asks NgânLượng's ``GetTransactionDetail`` what happened. So ``notify`` plays NgânLượng and the buyer
on the local stand-in (``fakes.nganluong_sandbox``, written apart from the adapter): it opens a checkout
for the contract's attempt (``event_id`` is the payment id in the ``order_code``), pays it (with the
amount given) or cancels it, and returns the query the buyer's browser brings back. The token is the
field that plays the signature (``signature_field``); the connection password is the secret.

One stand-in serves every test of the session: the registry's entries are plain functions, called at
collection too, and a stand-in per call would leave sockets behind. It listens on 127.0.0.1 on a daemon
thread and is stopped when the interpreter exits.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from decimal import Decimal

from subscription_core.orders import Order
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.ports import PaymentRequest
from subscription_core_adapters.fakes.nganluong_sandbox import NganLuongSandbox
from subscription_core_adapters.gateways import NganLuongBuyer, NganLuongConfig, NganLuongProvider

from .registry import ProviderHarness

_MERCHANT_ID = "48211"
_PASSWORD = "contract-connection-password"  # noqa: S105 - a test password
_RECEIVER = "contract@nganluong.example"
_SANDBOX: list[NganLuongSandbox] = []
_STARTING = threading.Lock()


def _sandbox() -> NganLuongSandbox:
    """The session's stand-in, started on first use."""
    with _STARTING:
        if not _SANDBOX:
            sandbox = NganLuongSandbox(merchant_id=_MERCHANT_ID, password=_PASSWORD, receiver_email=_RECEIVER)
            sandbox.start()
            atexit.register(sandbox.stop)
            _SANDBOX.append(sandbox)
        return _SANDBOX[0]


def _buyer(_request: PaymentRequest) -> NganLuongBuyer:
    return NganLuongBuyer(fullname="Trần Thị Hợp Đồng", email="hopdong@example.vn", mobile="0987654321")


def _provider() -> NganLuongProvider:
    config = NganLuongConfig(
        merchant_id=_MERCHANT_ID,
        merchant_password=_PASSWORD,
        receiver_email=_RECEIVER,
        return_url="https://shop.example/nganluong/return",
        api_url=_sandbox().url,
    )
    return NganLuongProvider(config, buyer=_buyer)


def nganluong_harness() -> ProviderHarness:
    """NgânLượng against the session's stand-in, with a test merchant."""
    provider = _provider()

    def notify(order: Order, *, event_id: str, succeeded: bool = True, amount: Decimal | None = None) -> dict[str, str]:
        """The return of a checkout for ``order``'s attempt ``event_id``: paid (``amount``, else the total), or not."""
        request = PaymentRequest(
            payment_id=event_id,
            order_id=order.id,
            amount=str(order.grand_total.amount),
            currency=order.currency.code,
            method=PaymentMethod.domestic_card("VCB"),
            description=f"Order {order.id}",
        )
        token = provider.start(request).provider_ref
        assert token is not None
        sandbox = _sandbox()
        if succeeded:
            sandbox.pay(token, amount=None if amount is None else int(amount))
        else:
            sandbox.cancel(token)
        return sandbox.return_query(token)

    return ProviderHarness(
        provider=provider,
        notify=notify,
        secret=_PASSWORD.encode(),
        signature_field="token",
        methods=frozenset({MethodKind.DOMESTIC_CARD, MethodKind.INTERNATIONAL_CARD, MethodKind.E_WALLET}),
        wallet="NGANLUONG",
        confirms_with_provider=True,
    )


PAYMENT_PROVIDERS: dict[str, Callable[[], ProviderHarness]] = {"nganluong": nganluong_harness}
