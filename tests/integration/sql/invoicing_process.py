"""One host process for the invoice-numbering tests: wires bootstrap_sql, sells and is paid, prints the invoices.

Run from the project root as ``python -m tests.integration.sql.invoicing_process TAG FIRST COUNT --database PATH``
(or ``--dsn DSN --schema NAME``). It places ``COUNT`` orders for customers ``TAG-0``... (tax codes ``FIRST``
on), has each paid through the fake wallet, so that fulfilment issues its e-invoice through the use cases
(any left pending, when the process lost races, by the scheduler's retry step on the handle), then prints
one ``order_id series number`` line per invoice and exits: a process that restarts is a new one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import attrs

from subscription_core.customers import Actor
from subscription_core.errors import TransientConflictError
from subscription_core.payments import MethodKind, PaymentMethod
from subscription_core.services import Checkout, NewPurchase, handle_notification, place_order, start_payment
from subscription_core_adapters.bootstrap import SqlWiring, bootstrap_sql
from subscription_core_adapters.einvoice import InvoiceSeries, Seller
from subscription_core_adapters.fakes import FakePaymentProvider, RecordingNotifier
from subscription_core_adapters.local import ManualClock

from .builders import CATALOG, T0, customer

SELLER = Seller(
    name="Công ty Cổ phần MISA", tax_code="0101243150", address="Cầu Giấy, Hà Nội", email="hoadon@misa.com.vn"
)
SERIES = InvoiceSeries("C26TAA")
WALLET = PaymentMethod.e_wallet("VNPTPAY")
CONFIRMED = Checkout(confirmed=True)
CLIENT_ATTEMPTS = 10
R = TypeVar("R")


def as_a_client(call: Callable[[], R]) -> R:
    """Call a use case as a client would: again, with the same key, while it answers that it lost races.

    Two processes writing one SQLite file make a use case lose its in-process attempts now and then; a
    client (or a gateway resending its notification) asks again, and the idempotency key makes that safe.
    """
    for attempt in range(1, CLIENT_ATTEMPTS + 1):
        try:
            return call()
        except TransientConflictError:
            print(f"lost races; the client asks again (attempt {attempt})", file=sys.stderr)  # noqa: T201
            time.sleep(0.05 * attempt)
    return call()


def sell(wired: SqlWiring, wallet: FakePaymentProvider, *, tag: str, first: int, count: int) -> list[str]:
    """Sell STD 1Y to ``count`` new customers, each paid online; the ids of the orders."""
    deps, orders = wired.services, []
    for n in range(count):
        buyer = Actor.customer_user(f"u-{tag}-{n}", f"{tag}-{n}")
        with deps.uow() as uow:
            uow.customers.add(attrs.evolve(customer(f"{tag}-{n}", n=first + n), buyers={buyer.id}))
            uow.commit()
        request = NewPurchase(customer_id=f"{tag}-{n}", plan="STD", option="1Y")
        order = as_a_client(partial(place_order, deps, buyer, request, CONFIRMED, idempotency_key=f"order-{tag}-{n}"))
        paying = partial(start_payment, deps, buyer, order_id=order.id, method=WALLET, idempotency_key=f"p-{tag}-{n}")
        as_a_client(paying)
        payload = wallet.notify(order, event_id=f"evt-{tag}-{n}")
        as_a_client(partial(handle_notification, deps, wallet.name, payload))
        orders.append(order.id)
    return orders


def invoices_of(wired: SqlWiring, clock: ManualClock, orders: list[str]) -> list[str]:
    """The invoices of ``orders``, as ``order series number``, once the retry step issued any left pending.

    An invoice whose first attempt failed (its process lost races on the database) stays pending, with no
    number taken, until the scheduler's retry step: run as a host runs it, a few times, later each time.
    """
    for _ in range(CLIENT_ATTEMPTS):
        with wired.services.uow() as uow:
            issued = [invoice for order in orders for invoice in uow.invoices.of_order(order)]
        if len(issued) == len(orders):
            break
        print(f"{len(orders) - len(issued)} invoice(s) pending; the retry step runs", file=sys.stderr)  # noqa: T201
        clock.advance(dt.timedelta(hours=7))
        as_a_client(wired.run_scheduler)
    return [f"{i.order_id} {i.series} {i.number}" for i in issued]


def main() -> None:
    """Parse the arguments, wire, sell, print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("tag")
    parser.add_argument("first", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--database")
    parser.add_argument("--dsn")
    parser.add_argument("--schema")
    args = parser.parse_args()
    clock = ManualClock(T0)
    wallet = FakePaymentProvider("vnptpay", secrets.token_bytes(32), methods=[MethodKind.E_WALLET])
    wired = bootstrap_sql(
        CATALOG,
        database=args.database,
        dsn=args.dsn,
        schema=args.schema,
        providers={wallet.name: wallet},
        seller=SELLER,
        series=SERIES,
        notifier=RecordingNotifier(),
        link_key=secrets.token_bytes(32),
        clock=clock,
    )
    try:
        orders = sell(wired, wallet, tag=args.tag, first=args.first, count=args.count)
        print("\n".join(invoices_of(wired, clock, orders)))  # noqa: T201
    finally:
        wired.dispose()


if __name__ == "__main__":
    main()
