"""A service accountant renews 10,000 clients in one order on the in-memory adapters, against the bare domain work.

The world: the ASP Accounting example catalog, one service accountant, 10,000 client companies linked to it,
each holding one active yearly subscription (stored directly, as a host's existing records; not timed).

The library runs the use cases an accountant's bulk renewal goes through (B1-B5), each timed as a phase:

* review: ``review_bulk_renewal``, every row checked (B4), nothing written;
* place: ``place_bulk_renewal``, the rows checked again, one quote of 10,000 lines, one order stored with
  its notices in the outbox (O3, O4, N2);
* pay: ``start_payment`` by e-wallet (Y1), the fake provider answering with a redirect;
* fulfil: ``handle_notification`` of the provider's signed success: the notification verified and recorded
  once (Y5), the order paid, 10,000 subscriptions extended and 10,000 e-invoices requested, all in one unit
  of work (B5, I1, N2); then, after its commit, the 10,000 e-invoices issued and their notices queued, 500
  per unit of work (O7).

The baseline is the domain work without services, repositories or a unit of work: pricing the 10,000
lines with ``pricing.quote`` and extending the 10,000 subscriptions with ``renewals.renew``. The ratio is
(place + pay + fulfil) / baseline; the review is reported beside it. Peak memory is the growth of
``tracemalloc``'s peak during each phase, measured in a second, traced run of the same flow (tracing
slows it, so the timings come from the untraced run), and the process's maximum resident set size.

Run: .venv/bin/python benchmarks/bulk_renewal.py [count]
Prints the time and peak memory of each phase, then last ``ratio: X.XX`` (library / baseline).
"""

from __future__ import annotations

import datetime as dt
import gc
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import attrs

from subscription_core import VIETNAM_TZ, load_catalog, local_date
from subscription_core.bulk import BulkRenewal, BulkRow
from subscription_core.catalog import Catalog
from subscription_core.customers import Actor, Contact, Customer, InvoiceInfo, Party, ServiceAccountant, check_digit
from subscription_core.lifecycle import subscribe
from subscription_core.orders import Order, OrderState
from subscription_core.payments import PaymentMethod
from subscription_core.pricing import quote
from subscription_core.promotions import PurchaseKind
from subscription_core.quotes import PlanSelection, Selection
from subscription_core.renewals import renew
from subscription_core.services import (
    NotificationStatus,
    Services,
    handle_notification,
    place_bulk_renewal,
    review_bulk_renewal,
    start_payment,
)
from subscription_core.subscriptions import Entitlement, Opening, Subscription
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.fakes import FakePaymentProvider, MemoryInvoiceIssuer, RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds

CATALOG = Path(__file__).resolve().parent.parent / "examples" / "catalogs" / "asp_accounting.toml"
BOUGHT = dt.datetime(2026, 1, 5, 9, tzinfo=VIETNAM_TZ)
RENEWED = dt.datetime(2026, 12, 10, 9, tzinfo=VIETNAM_TZ)
PROVIDER = "vnptpay"
FIRM = ServiceAccountant(
    id="ktdv-1", name="Công ty TNHH Dịch vụ Kế toán Một", contact=Contact(name="KTDV", email="giahan@ktdv1.vn")
)
ACCOUNTANT = Actor.accountant(FIRM.id)
PLAN, OPTION = "asp-basic", "1y"
SETUP_BATCH = 500


def tax_codes(count: int) -> list[str]:
    """``count`` valid enterprise tax codes (U1), skipping prefixes that have no check digit."""
    codes: list[str] = []
    n = 0
    while len(codes) < count:
        n += 1
        head = f"{3 + n // 10_000_000}{n % 10_000_000:08d}"
        digit = check_digit(head)
        if digit is not None:
            codes.append(f"{head}{digit}")
    return codes


def client(n: int, code: str) -> Customer:
    """Client company ``n``, linked to the firm (A3)."""
    details = Party(unit_name=f"Công ty TNHH Khách hàng {n}", address="Đà Nẵng", email=f"ceo@c{n}.vn", tax_code=code)
    return Customer(
        id=f"c-{n:05d}",
        name=details.unit_name,
        tax_code=code,
        subscriber=details,
        invoice=InvoiceInfo.same_as(details),
        accountant_id=FIRM.id,
    )


@attrs.frozen(kw_only=True)
class World:
    """The services on a fresh in-memory store with ``count`` clients, and the handles a run needs."""

    deps: Services
    provider: FakePaymentProvider
    catalog: Catalog
    request: BulkRenewal
    subscriptions: tuple[Subscription, ...]


def build(count: int) -> World:
    """Store ``count`` clients of the firm, each with one active subscription bought on ``BOUGHT``."""
    catalog = load_catalog(CATALOG)
    provider = FakePaymentProvider(PROVIDER, b"bench-signing-key-0123456789abcdef012")
    deps = bootstrap_memory(
        catalog,
        clock=ManualClock(RENEWED),
        ids=SequentialIds(),
        providers={PROVIDER: provider},
        invoices=MemoryInvoiceIssuer(),
        notifier=RecordingNotifier(),
        link_key=b"bench-link-key-0123456789abcdef0123456",
        accountants={FIRM.id: FIRM},
    )
    product = catalog.product("asp")
    entitlement = Entitlement.of(product, PLAN, OPTION)
    customers = [client(n, code) for n, code in enumerate(tax_codes(count), start=1)]
    subscriptions = tuple(
        subscribe(
            Opening(subscription_id=f"s-{c.id}", customer_id=c.id, product=product),
            entitlement,
            BOUGHT,
            actor=ACCOUNTANT,
        ).subscription
        for c in customers
    )
    pairs = list(zip(customers, subscriptions, strict=True))
    for start in range(0, len(pairs), SETUP_BATCH):
        # In batches: the memory unit of work scans the rows it wrote on every unique-key check.
        with deps.uow() as uow:
            for customer, subscription in pairs[start : start + SETUP_BATCH]:
                uow.customers.add(customer)
                uow.subscriptions.add(subscription)
            uow.commit()
    rows = [BulkRow(client=c.tax_code.value, option=OPTION) for c in customers]
    request = BulkRenewal(product="asp", rows=rows)
    return World(deps=deps, provider=provider, catalog=catalog, request=request, subscriptions=subscriptions)


def phases(world: World) -> list[tuple[str, Callable[[], object]]]:
    """The library's phases, in order; each closure uses what the ones before it stored."""
    placed: list[Order] = []

    def review() -> object:
        problems = review_bulk_renewal(world.deps, ACCOUNTANT, world.request)
        if problems:
            raise SystemExit(f"the rows should be valid: {problems[0]}")
        return problems

    def place() -> object:
        placed.append(place_bulk_renewal(world.deps, ACCOUNTANT, world.request, confirmed=True, idempotency_key="b"))
        return placed[0]

    def pay() -> object:
        method = PaymentMethod.e_wallet("VNPTPAY")
        return start_payment(world.deps, ACCOUNTANT, order_id=placed[0].id, method=method, idempotency_key="p")

    def fulfil() -> object:
        notice = world.provider.notify(placed[0], event_id="evt-1")
        result = handle_notification(world.deps, PROVIDER, notice)
        if result.status is not NotificationStatus.APPLIED:
            raise SystemExit(f"the payment should apply: {result.status}")
        return result

    return [("review", review), ("place", place), ("pay", pay), ("fulfil", fulfil)]


def check(world: World) -> None:
    """Every client's subscription was extended by a year and the order fulfilled (B5)."""
    with world.deps.uow() as uow:
        renewed = [uow.subscriptions.get(s.id) for s in world.subscriptions]
        orders = [uow.orders.get(o) for o in {i.order_id for i in uow.invoices.of_order("ord-0001")}]
    wrong = [s.id for s in renewed if s.last_day is None or s.last_day.year != BOUGHT.year + 2]
    if wrong or [o.state for o in orders] != [OrderState.FULFILLED]:
        raise SystemExit(f"{len(wrong)} subscriptions were not extended, or the order is not fulfilled")


def baseline(world: World) -> float:
    """Price the lines and extend the subscriptions with the domain alone; return the seconds taken."""
    product = world.catalog.product("asp")
    selections: list[Selection] = [PlanSelection(plan=PLAN, option=OPTION, ref=s.id) for s in world.subscriptions]
    at = RENEWED.astimezone(dt.UTC)
    gc.collect()
    started = time.perf_counter()
    priced = quote(world.catalog, selections, as_of=local_date(at), purchase=PurchaseKind.RENEWAL)
    entitlement = Entitlement.of(product, PLAN, OPTION)
    extended = [renew(s, entitlement, at, actor=ACCOUNTANT).subscription for s in world.subscriptions]
    took = time.perf_counter() - started
    if len(priced.lines) != len(extended) or any(s.last_day is None for s in extended):
        raise SystemExit("the baseline did not price and extend every subscription")
    return took


def timed(world: World) -> dict[str, float]:
    """Run the phases untraced; return each one's seconds."""
    seconds = {}
    for name, work in phases(world):
        gc.collect()
        started = time.perf_counter()
        work()
        seconds[name] = time.perf_counter() - started
    check(world)
    return seconds


def traced(world: World) -> dict[str, float]:
    """Run the phases under tracemalloc; return each one's peak growth in MiB over what was held before it."""
    peaks = {}
    tracemalloc.start()
    for name, work in phases(world):
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        work()
        _, peak = tracemalloc.get_traced_memory()
        peaks[name] = (peak - held) / 2**20
    tracemalloc.stop()
    return peaks


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    started = time.perf_counter()
    world = build(count)
    print(f"clients: {count:,}, set up in {time.perf_counter() - started:.1f} s (not timed below)")
    seconds = timed(world)
    peaks = traced(build(count))
    base = baseline(build(count))
    for name, took in seconds.items():
        per = took / count * 1e6
        print(f"{name:<8} {took:8.3f} s  {per:7.1f} µs per client  peak +{peaks[name]:7.1f} MiB")
    library = seconds["place"] + seconds["pay"] + seconds["fulfil"]
    print(f"library  {library:8.3f} s  {library / count * 1e6:7.1f} µs per client  (place + pay + fulfil)")
    print(f"baseline {base:8.3f} s  {base / count * 1e6:7.1f} µs per client  (quote + renew, no services)")
    print(f"max RSS  {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB (the whole process)")
    print(f"ratio: {library / base:.2f}")


if __name__ == "__main__":
    main()
