"""Numbers at and beyond the limits of subscription_core.limits, through the use cases (issue 14; C4, D2, S3, S4, P7).

At every limit the whole life of a subscription runs (a trial, a purchase, a payment, a renewal, expiry,
warnings and the purge) even with the clock on the last day the library takes in; beyond them a call is
refused with the library's error and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from decimal import Decimal

import attrs
import pytest

from subscription_core import limits
from subscription_core.calendar import start_of_local_day
from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.errors import ValidationError
from subscription_core.money import Money
from subscription_core.services import (
    AddonChoice,
    NewPurchase,
    Renewal,
    RetentionPackage,
    StorageTopUp,
    run_scheduler,
    start_trial,
)
from subscription_core.services.idempotency import fingerprint
from subscription_core.subscriptions import State
from subscription_core.tax import VatSchedule

from .harness import BUYER, World

LONGEST = PricingOption(
    code="10y",
    cycle=Cycle(CycleUnit.MONTH, limits.MAX_TERM_MONTHS // limits.MAX_CYCLES),
    cycles=limits.MAX_CYCLES,
    price=Money.of(limits.MAX_AMOUNT, "VND"),
)
EDGE = Catalog(
    currency=LONGEST.price.currency,
    products=[
        Product(
            code="edge",
            name="Every limit",
            plans=[
                Plan(
                    code="std",
                    name="Longest",
                    options=[LONGEST],
                    vat=VatSchedule.flat("KCT"),
                    trial_days=limits.MAX_TRIAL_DAYS,
                )
            ],
            purge_after_days=limits.MAX_PURGE_DAYS,
            warning_days=tuple(range(limits.MAX_WARNING_DAYS, limits.MAX_WARNING_DAYS - limits.MAX_WARNINGS, -1)),
        )
    ],
)


def edge_world(day: dt.date) -> World:
    """A world selling only :data:`EDGE`, its clock at 09:00 on ``day`` in Hà Nội."""
    world = World.make()
    world.deps = attrs.evolve(world.deps, catalog=EDGE)
    world.clock.set(start_of_local_day(day) + dt.timedelta(hours=9))
    return world


def test_d2_a_clock_past_the_latest_date_is_refused_and_changes_nothing() -> None:
    world = World.make()
    world.clock.set(dt.datetime(9999, 12, 28, tzinfo=dt.UTC))
    before = world.snapshot()
    with pytest.raises(ValidationError) as refused:
        world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    assert (refused.value.rule, refused.value.field) == ("D2", "clock")
    assert "2999-12-31" in refused.value.message
    with pytest.raises(ValidationError):
        run_scheduler(world.deps)
    assert world.snapshot() == before


def test_c4_every_limit_at_once_on_the_latest_date_a_clock_may_read() -> None:
    world = edge_world(limits.LATEST_DATE)
    trial = start_trial(world.deps, BUYER, customer_id="cus-1", plan="std", idempotency_key=world.key())
    assert trial.state is State.TRIAL
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="10y"))
    assert order.grand_total == Money.of(limits.MAX_AMOUNT, "VND")
    world.pay_online(order)
    paid = order.lines[0].ref
    renewal = world.place(Renewal(subscription_id=paid, option="10y"))
    world.pay_online(renewal)
    last_day = world.subscription(paid).last_day
    assert last_day is not None
    assert last_day > limits.LATEST_DATE + dt.timedelta(days=7300)  # the trial's days, then two ten-year terms


def test_s3_s4_every_limit_at_once_runs_to_the_purge() -> None:
    world = edge_world(dt.date(2970, 1, 1))
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="10y"))
    world.pay_online(order)
    sub_id = order.lines[0].ref
    states = []
    for years in (9, 1, 1, 11):  # warnings, expiry, read-only, then the 3660-day purge window has passed
        world.clock.set(world.clock.now() + dt.timedelta(days=366 * years))
        run_scheduler(world.deps)
        states.append(world.subscription(sub_id).state)
    assert states == [State.ACTIVE, State.EXPIRED, State.EXPIRED, State.PURGED]


@pytest.mark.parametrize("precision", [4, 12])
def test_p7_an_idempotency_fingerprint_does_not_depend_on_the_callers_decimal_context(precision: int) -> None:
    amount = Money.of("106666666678.79", "USD")
    expected = fingerprint(amount=amount, rate=Decimal("106666666678.79"))
    with decimal.localcontext() as context:
        context.prec = precision
        got = fingerprint(amount=amount, rate=Decimal("106666666678.79"))
        other = fingerprint(amount=Money.of("106666666678.80", "USD"), rate=Decimal("106666666678.80"))
    assert got == expected
    assert other != expected


@pytest.mark.parametrize(
    ("build", "limit"),
    [
        (lambda: AddonChoice(addon="storage10", quantity=10**20), "10,000"),
        (lambda: AddonChoice(addon="training", cycles=10**6), "120"),
        (lambda: StorageTopUp(subscription_id="sub-1", addon="storage10", quantity=10**5000), "10,000"),
        (lambda: RetentionPackage(subscription_id="sub-1", addon="retention", quantity=10_001), "10,000"),
    ],
    ids=["quantity", "cycles", "huge top-up", "retention"],
)
def test_c3_a_quantity_or_cycles_beyond_the_limit_is_refused_where_the_request_is_built(
    build: Callable[[], object], limit: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        build()
    assert refused.value.rule == "C3"
    assert limit in refused.value.message


def test_s4_a_scheduler_batch_beyond_the_limit_is_refused_before_any_query() -> None:
    world = World.make()
    with pytest.raises(ValidationError, match="10,000"):
        run_scheduler(world.deps, batch=2**63)
