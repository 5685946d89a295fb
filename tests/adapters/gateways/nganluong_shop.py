"""A shop taking every online method through NgânLượng, against the local stand-in of NgânLượng's API.

The stand-in (:mod:`subscription_core_adapters.fakes.nganluong_sandbox`) is written apart from the adapter
and checks the MD5 of the connection password it was given; the buyer's side is played by its controls.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import attrs

from subscription_core.customers import Actor
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.ports import PaymentRequest, UnitOfWorkFactory
from subscription_core.services import PaymentStarted, Services
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes.nganluong_sandbox import NganLuongSandbox
from subscription_core_adapters.gateways import (
    NganLuongBuyer,
    NganLuongConfig,
    NganLuongPaymentStatusQuery,
    NganLuongProvider,
    NganLuongReturn,
    answer_return,
)
from subscription_core_adapters.local import ManualClock, SequentialIds
from subscription_core_adapters.memory import MemoryUnitOfWorkFactory

from .conftest import CATALOG, T0, Storefront, _customer

MERCHANT_ID = "36680"
PASSWORD = "matkhauketnoi"  # noqa: S105 - the sandbox password of NgânLượng's own sample configuration
RECEIVER = "demo@nganluong.vn"
CARD = PaymentMethod.domestic_card("VCB")
BUYER = Actor.customer_user("u-1", "cus-1")
ONLINE = {
    MethodKind.DOMESTIC_CARD: "nganluong",
    MethodKind.INTERNATIONAL_CARD: "nganluong",
    MethodKind.E_WALLET: "nganluong",
}


def buyer_of(_request: PaymentRequest) -> NganLuongBuyer:
    """The buyer NgânLượng asks for: the customer's accountant."""
    return NganLuongBuyer(fullname="Nguyễn Thị Kế Toán", email="ketoan1@example.vn", mobile="0912345678")


def stand_in() -> NganLuongSandbox:
    """NgânLượng's stand-in knowing the test merchant, not started (a context manager starts and stops it)."""
    return NganLuongSandbox(merchant_id=MERCHANT_ID, password=PASSWORD, receiver_email=RECEIVER)


def config(sandbox: NganLuongSandbox, **changes: Any) -> NganLuongConfig:
    """The merchant's settings against ``sandbox``."""
    settings: dict[str, Any] = {
        "merchant_id": MERCHANT_ID,
        "merchant_password": PASSWORD,
        "receiver_email": RECEIVER,
        "return_url": "https://shop.example/nganluong/return?lang=vi",
        "api_url": sandbox.url,
        "timeout": dt.timedelta(seconds=5),
    }
    return NganLuongConfig(**(settings | changes))


@attrs.define
class NlShop(Storefront):
    """Services with NgânLượng taking every online method, on a fresh store and a manual clock at T0."""

    deps: Services
    clock: ManualClock
    sandbox: NganLuongSandbox
    nganluong: NganLuongProvider
    _keys: Iterator[int] = attrs.field(factory=itertools.count)
    card: ClassVar[PaymentMethod] = CARD

    @classmethod
    def make(
        cls, sandbox: NganLuongSandbox, uow: UnitOfWorkFactory | None = None, *, query: bool = False, **settings: Any
    ) -> NlShop:
        """A shop whose customer ``cus-1`` has buyer ``u-1``, on ``uow`` (in memory by default).

        ``query``: the scheduler asks NgânLượng about payments left started (``NganLuongPaymentStatusQuery``).
        """
        clock = ManualClock(T0)
        provider = NganLuongProvider(config(sandbox, **settings), buyer=buyer_of)
        queries = {"nganluong": NganLuongPaymentStatusQuery(provider, clock=clock)} if query else None
        deps = bootstrap_memory(
            CATALOG,
            clock=clock,
            ids=SequentialIds(),
            uow=uow if uow is not None else MemoryUnitOfWorkFactory(),
            providers={"nganluong": provider},
            routes=ONLINE,
            status_queries=queries,
        )
        with deps.uow() as unit:
            unit.customers.add(_customer(1))
            unit.commit()
        return cls(deps=deps, clock=clock, sandbox=sandbox, nganluong=provider)

    def back(self, started: PaymentStarted, query: Mapping[str, str] | None = None) -> NganLuongReturn:
        """The buyer comes back from NgânLượng: the return route handles what the browser brings."""
        assert started.provider_ref is not None
        return answer_return(self.deps, self.sandbox.return_query(started.provider_ref) if query is None else query)
