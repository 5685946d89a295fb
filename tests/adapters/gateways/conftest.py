"""A shop on the in-memory adapters with VNPay for card payments, and VNPay's side written from its documentation.

:func:`reference_hash` is VNPay's published Python sample (``vnpay.py``), rewritten here independently of
the adapter so that the tests check the adapter against the documented algorithm, not against itself.
:meth:`Shop.ipn` builds the IPN VNPay would send for a payment URL the shop made: the URL's ``TxnRef``,
amount, order info and bank, plus VNPay's result fields, signed by the reference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote_plus, urlsplit

import attrs
import pytest

from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.customers import Actor, Customer, InvoiceInfo, Party
from subscription_core.money import Currency, Money
from subscription_core.orders import Order
from subscription_core.payments import MethodKind, Payment, PaymentMethod
from subscription_core.ports import PaymentStatusQuery, RefundGateway
from subscription_core.services import Checkout, NewPurchase, PaymentStarted, Services, place_order, start_payment
from subscription_core.tax import VatSchedule
from subscription_core.testing import valid_tax_code
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.gateways import IpnAnswer, VnpayConfig, VnpayProvider, answer_ipn
from subscription_core_adapters.local import ManualClock, SequentialIds
from subscription_core_adapters.memory import MemoryStore, MemoryUnitOfWorkFactory

SECRET = "VNPAYTESTSECRETNOTREAL0123456789"  # noqa: S105 - a test key, 32 letters and digits as VNPay issues
TMN_CODE = "TESTTMN1"
T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 09:00 in Hà Nội
VND = Currency.of("VND")
CARD = PaymentMethod.domestic_card("NCB")
BUYER = Actor.customer_user("u-1", "cus-1")
CATALOG = Catalog(
    currency=VND,
    products=[
        Product(
            code="amis",
            name="MISA AMIS Kế toán",
            plans=[
                Plan(
                    code="std",
                    name="Standard",
                    options=[PricingOption(code="1y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(6_000_000, VND))],
                    vat=VatSchedule.flat("10%"),
                )
            ],
        )
    ],
)

_tax_code = valid_tax_code  # a valid tax code (U1), a different one for each n


def reference_hash(secret: str, params: Mapping[str, str]) -> str:
    """VNPay's Python sample, ``validate_response``: sorted ``vnp_`` fields, ``quote_plus``, HMAC-SHA512."""
    has_data = ""
    seq = 0
    for key, val in sorted(params.items()):
        if key.startswith("vnp_") and key not in {"vnp_SecureHash", "vnp_SecureHashType"}:
            if seq == 1:
                has_data = has_data + "&" + key + "=" + quote_plus(str(val))
            else:
                seq = 1
                has_data = key + "=" + quote_plus(str(val))
    return hmac.new(secret.encode("utf-8"), has_data.encode("utf-8"), hashlib.sha512).hexdigest()


def signed(fields: Mapping[str, str]) -> dict[str, str]:
    """``fields`` with their ``vnp_SecureHash`` under the test secret."""
    unsigned = {k: v for k, v in fields.items() if k != "vnp_SecureHash"}
    return {**unsigned, "vnp_SecureHash": reference_hash(SECRET, unsigned)}


def url_params(url: str) -> dict[str, str]:
    """The parameters of a payment URL, each once."""
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    params = dict(pairs)
    assert len(params) == len(pairs)
    return params


def _customer(n: int) -> Customer:
    details = Party(
        unit_name=f"Công ty Số {n}", address="Cầu Giấy, Hà Nội", email=f"ketoan{n}@example.vn", tax_code=_tax_code(n)
    )
    return Customer(
        id=f"cus-{n}",
        name=f"Công ty Cổ phần Số {n}",
        tax_code=_tax_code(n),
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        buyers=frozenset({f"u-{n}"}),
    )


class Storefront:
    """What every test shop does alike, whatever provider takes its payments: place, pay, read back.

    A subclass holds ``deps`` and ``_keys`` (its idempotency keys) and sets ``card``, the method ``start``
    pays by unless told otherwise.
    """

    __slots__ = ()
    deps: Services
    _keys: Iterator[int]
    card: ClassVar[PaymentMethod] = CARD

    def key(self) -> str:
        """A fresh idempotency key."""
        return f"key-{next(self._keys)}"

    def place(self) -> Order:
        """A confirmed new purchase of a year of Standard by ``u-1``, awaiting payment."""
        request = NewPurchase(customer_id="cus-1", plan="std", option="1y")
        return place_order(self.deps, BUYER, request, Checkout(confirmed=True), idempotency_key=self.key())

    def start(self, order: Order, method: PaymentMethod | None = None) -> PaymentStarted:
        """Start paying ``order`` (by :attr:`card` by default): the buyer is sent to the provider's page."""
        chosen = self.card if method is None else method
        return start_payment(self.deps, BUYER, order_id=order.id, method=chosen, idempotency_key=self.key())

    def order(self, order_id: str) -> Order:
        """The order as committed."""
        with self.deps.uow() as uow:
            return uow.orders.get(order_id)

    def payments(self, order_id: str) -> list[Payment]:
        """The order's payments as committed, oldest first."""
        with self.deps.uow() as uow:
            return uow.payments.of_order(order_id)


@attrs.define
class Shop(Storefront):
    """The services with VNPay taking cards, on a fresh in-memory store and a manual clock at T0."""

    deps: Services
    store: MemoryStore
    clock: ManualClock
    vnpay: VnpayProvider
    _keys: Iterator[int] = attrs.field(factory=itertools.count)
    _numbers: Iterator[int] = attrs.field(factory=lambda: itertools.count(14226112))

    @classmethod
    def make(
        cls,
        refund_gateways: Mapping[str, RefundGateway] | None = None,
        status_queries: Mapping[str, PaymentStatusQuery] | None = None,
    ) -> Shop:
        """A shop whose customer ``cus-1`` has buyer ``u-1``, refunding and querying through those given."""
        clock = ManualClock(T0)
        store = MemoryStore()
        config = VnpayConfig(tmn_code=TMN_CODE, hash_secret=SECRET, return_url="https://shop.example/vnpay/return")
        vnpay = VnpayProvider(config, clock=clock)
        deps = bootstrap_memory(
            CATALOG,
            clock=clock,
            ids=SequentialIds(),
            uow=MemoryUnitOfWorkFactory(store),
            providers={"vnpay": vnpay},
            routes={MethodKind.DOMESTIC_CARD: "vnpay", MethodKind.INTERNATIONAL_CARD: "vnpay"},
            refund_gateways=refund_gateways,
            status_queries=status_queries,
        )
        shop = cls(deps=deps, store=store, clock=clock, vnpay=vnpay)
        with deps.uow() as uow:
            uow.customers.add(_customer(1))
            uow.commit()
        return shop

    def ipn(
        self, started: PaymentStarted, *, response: str = "00", status: str = "00", number: str | None = None
    ) -> dict[str, str]:
        """The IPN VNPay sends about the payment URL of ``started``, with this result, signed by the reference.

        A failed transaction has transaction number ``0`` unless one is given, as VNPay sends it.
        """
        assert started.redirect_url is not None
        url = url_params(started.redirect_url)
        paid = response == "00"
        fields = {
            "vnp_Amount": url["vnp_Amount"],
            "vnp_BankCode": url["vnp_BankCode"],
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": url["vnp_OrderInfo"],
            "vnp_PayDate": "20261123091000",
            "vnp_ResponseCode": response,
            "vnp_TmnCode": url["vnp_TmnCode"],
            "vnp_TransactionNo": number or (str(next(self._numbers)) if paid else "0"),
            "vnp_TransactionStatus": status,
            "vnp_TxnRef": url["vnp_TxnRef"],
        }
        if paid:
            fields["vnp_BankTranNo"] = f"VNP{fields['vnp_TransactionNo']}"
        return signed(fields)

    def deliver(self, payload: Mapping[str, str]) -> IpnAnswer:
        """VNPay calls the IPN URL with ``payload``."""
        return answer_ipn(self.deps, payload)

    def snapshot(self) -> dict[str, dict[Any, Any]]:
        """Every committed row of the tables a payment touches, to compare before and after a refused call."""
        names = ["customers", "subscriptions", "orders", "payments", "notifications", "invoices", "unapplied", "outbox"]
        with self.store.lock:
            return {name: dict(getattr(self.store, name).rows) for name in names}


@pytest.fixture
def shop() -> Shop:
    """A fresh shop with VNPay."""
    return Shop.make()
