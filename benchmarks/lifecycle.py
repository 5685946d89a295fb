"""The time-driven step over 1,000,000 in-memory subscriptions of which 1% are due, against a bare loop.

The subscriptions are copies (new ids) of 100 prototypes built with the library's own verbs: 96 have nothing
due at the as-of instant, 4 have something due - an expiry warning, an expiry, a purge and an offline
payment reaching its activation deadline - so 1% of the subscriptions are due, a quarter of each kind.

The library runs ``scheduling.run_due(subscriptions, at)``: it examines every subscription and applies the
transitions due. The baseline is a bare loop that only compares each subscription's ``next_due_at`` with
``at`` and collects the due ones, which is the least any scheduler must do over in-memory subscriptions.

Run: .venv/bin/python benchmarks/lifecycle.py [count]
Prints the time per subscription examined and per transition applied, then last ``ratio: X.XX``
(library time / baseline time).
"""

from __future__ import annotations

import gc
import resource
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs

from subscription_core.calendar import VIETNAM_TZ, BusinessCalendar
from subscription_core.catalog import Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.entitlements import Entitlement
from subscription_core.lifecycle import advance, subscribe
from subscription_core.money import Money
from subscription_core.renewals import receive_payment
from subscription_core.scheduling import run_due
from subscription_core.subscriptions import Actor, ActorKind, Opening, Subscription
from subscription_core.tax import VatSchedule

AT = datetime(2027, 6, 1, 2, 0, tzinfo=VIETNAM_TZ)
PROTOTYPES = 100
STAFF = Actor(kind=ActorKind.STAFF, id="staff-1")


def _product() -> Product:
    plan = Plan(
        code="STD",
        name="Standard",
        options=[
            PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(3_000_000, "VND")),
            PricingOption(code="1M", cycle=Cycle(CycleUnit.MONTH), price=Money.of(300_000, "VND")),
        ],
        vat=VatSchedule.flat("KCT"),
        quotas=[Quota(code="storage", amount=10, unit="GB"), Quota(code="seats", amount=5)],
    )
    return Product(code="AMIS", name="AMIS", plans=[plan])


def prototypes() -> tuple[list[Subscription], list[Subscription]]:
    """Return (not due, due) prototypes, each already advanced to just before ``AT`` or to when it started."""
    product = _product()
    opening = Opening(subscription_id="proto", customer_id="0101243150", product=product)
    year, month = Entitlement.of(product, "STD", "1Y"), Entitlement.of(product, "STD", "1M")

    def started(at: datetime, entitlement: Entitlement = year) -> Subscription:
        return subscribe(opening, entitlement, at, actor=STAFF).subscription

    not_due = [advance(started(AT - timedelta(days=40 + 3 * k)), AT).subscription for k in range(PROTOTYPES - 4)]
    paid_offline = receive_payment(
        started(AT - timedelta(days=200)), year, AT - timedelta(days=3), calendar=BusinessCalendar(), actor=STAFF
    ).subscription
    due = [
        started(AT - timedelta(days=365 - 10)),  # the 15-day warning fell due 5 days ago
        started(AT - timedelta(days=31, hours=-1), month),  # expired this night
        advance(started(AT - timedelta(days=65), month), AT - timedelta(days=5)).subscription,  # purge due
        paid_offline,  # the activation deadline has passed
    ]
    if any(p.next_due_at is None or p.next_due_at <= AT for p in not_due):
        raise SystemExit("a prototype meant to be idle is due")
    if any(p.next_due_at is None or p.next_due_at > AT for p in due):
        raise SystemExit("a prototype meant to be due is not")
    return not_due, due


def population(count: int) -> list[Subscription]:
    """Return ``count`` subscriptions, one in a hundred due at ``AT``."""
    not_due, due = prototypes()
    subscriptions: list[Subscription] = []
    for i in range(count):
        proto = due[(i // PROTOTYPES) % len(due)] if i % PROTOTYPES == 0 else not_due[i % len(not_due)]
        subscription = attrs.evolve(proto, id=f"sub-{i}")
        _ = subscription.next_due_at  # worked out once, as a host that stores it in a column has it on loading
        subscriptions.append(subscription)
    return subscriptions


def baseline(subscriptions: list[Subscription], at: datetime) -> list[Subscription]:
    """The bare loop: compare each subscription's next-due instant (kept in UTC) with ``at``."""
    at = at.astimezone(UTC)  # same tzinfo on both sides: a plain comparison, no UTC offset computed
    return [s for s in subscriptions if (due := s.next_due_at) is not None and due <= at]


def best_of(repeat: int, work: Callable[[], object]) -> tuple[float, object]:
    """Return the best wall time of ``repeat`` runs of ``work`` and its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    started = time.perf_counter()
    subscriptions = population(count)
    built = time.perf_counter() - started
    base_time, _ = best_of(5, lambda: baseline(subscriptions, AT))
    lib_time, _ = best_of(3, lambda: run_due(subscriptions, AT))
    due = baseline(subscriptions, AT)
    run = run_due(subscriptions, AT)
    if len(run.subscriptions) != len(due):
        raise SystemExit(f"the step changed {len(run.subscriptions)} subscriptions, {len(due)} were due")
    if run_due(run.subscriptions, AT).changes:
        raise SystemExit("the step is not idempotent")
    transitions = len(run.changes)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"subscriptions: {count:,} built in {built:.1f} s; due: {len(due):,}; transitions applied: {transitions:,}")
    print(f"peak memory:   {peak:,.0f} MiB")
    print(f"baseline:      {base_time:.3f} s  ({base_time / count * 1e9:.0f} ns per subscription examined)")
    print(f"library:       {lib_time:.3f} s  ({lib_time / count * 1e9:.0f} ns per subscription examined)")
    print(
        f"per transition applied: {lib_time / transitions * 1e6:.1f} µs all in,"
        f" {(lib_time - base_time) / transitions * 1e6:.1f} µs beyond the baseline's scan"
    )
    print(f"ratio: {lib_time / base_time:.2f}")


if __name__ == "__main__":
    main()
