"""Payment deadlines that never outlive what they pay for (O8): every order that renews or adds to a subscription."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscription_core.bulk import BulkRenewal, BulkRow
from subscription_core.errors import InvalidTransitionError, NotEligibleError
from subscription_core.orders import Order, OrderState
from subscription_core.services import (
    NewPurchase,
    RetentionPackage,
    StorageTopUp,
    place_bulk_renewal,
    run_scheduler,
    start_trial,
)
from subscription_core.subscriptions import State

from .harness import ACCOUNTANT, BUYER, STRANGER, T0, World, tax_code

# Bought at T0: the term runs to 2027-11-23 00:00 local; the purge window then ends at 2027-12-23 00:00 local.
EXPIRY = dt.datetime(2027, 11, 22, 17, 0, tzinfo=dt.UTC)
PURGE = dt.datetime(2027, 12, 22, 17, 0, tzinfo=dt.UTC)


def _days_to(instant: dt.datetime) -> float:
    return (instant - T0) / dt.timedelta(days=1)


def test_o8_a_renewal_placed_inside_the_purge_window_is_payable_only_until_the_purge(world: World) -> None:
    sub = world.buy()
    world.at(days=_days_to(PURGE) - 3)  # expired; purged in three days, the default deadline is seven
    order = world.renew(sub.id)
    assert order.pay_by == PURGE
    world.at(days=_days_to(PURGE), seconds=-1)
    world.pay_online(order)
    assert world.order(order.id).state is OrderState.FULFILLED
    assert world.subscription(sub.id).state is State.ACTIVE


def test_o8_a_renewal_of_an_active_subscription_keeps_the_full_deadline_when_the_purge_is_far(world: World) -> None:
    sub = world.buy()
    world.at(days=_days_to(EXPIRY) - 1)
    order = world.renew(sub.id)
    assert order.pay_by == dt.datetime(2027, 11, 29, 16, 59, 59, 999999, tzinfo=dt.UTC)  # end of the 7th local day


def test_o8_a_renewal_of_an_active_subscription_is_capped_at_its_expiry_plus_the_purge_window() -> None:
    world = World.make(pay_within_days=60)
    sub = world.buy()
    world.at(days=_days_to(EXPIRY) - 1)
    assert world.renew(sub.id).pay_by == PURGE


def test_o8_a_bulk_renewal_is_payable_only_until_the_earliest_purge_of_its_clients(world: World) -> None:
    early = world.buy(1)
    world.at(days=10)
    world.buy(2, actor=STRANGER)
    world.at(days=_days_to(PURGE) - 2)  # the first client is purged in two days, the second in twelve
    rows = (BulkRow(client=tax_code(1), option="1y"), BulkRow(client="HKD-2", option="1y"))
    order = place_bulk_renewal(
        world.deps, ACCOUNTANT, BulkRenewal(product="amis", rows=rows), confirmed=True, idempotency_key="b-1"
    )
    assert order.pay_by == PURGE
    assert early.id in {line.subscription_id for line in order.lines}


def test_o8_a_renewal_too_close_to_the_purge_is_refused_naming_the_rule_and_the_instant(world: World) -> None:
    sub = world.buy()
    world.at(days=_days_to(PURGE), minutes=-30)
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        world.renew(sub.id)
    assert (caught.value.rule, caught.value.field, caught.value.value) == ("O8", "subscription_id", sub.id)
    assert "2027-12-23 00:00" in caught.value.message  # the instant, in local time
    assert world.snapshot() == before


def test_o8_a_bulk_renewal_with_a_client_about_to_be_purged_is_refused(world: World) -> None:
    first = world.buy(1)
    world.buy(2, actor=STRANGER)
    world.at(days=_days_to(PURGE), minutes=-10)
    rows = (BulkRow(client=tax_code(1), option="1y"), BulkRow(client="HKD-2", option="1y"))
    with pytest.raises(NotEligibleError) as caught:
        place_bulk_renewal(
            world.deps, ACCOUNTANT, BulkRenewal(product="amis", rows=rows), confirmed=True, idempotency_key="b-1"
        )
    assert (caught.value.rule, caught.value.value) == ("O8", first.id)


def test_o8_a_retention_package_is_payable_only_until_the_purge(world: World) -> None:
    sub = world.buy()
    world.at(days=_days_to(PURGE) - 2)
    order = world.place(RetentionPackage(subscription_id=sub.id, addon="retention", quantity=1))
    assert order.pay_by == PURGE


def test_o8_a_storage_top_up_is_payable_only_while_time_remains(world: World) -> None:
    sub = world.buy()
    world.at(days=_days_to(EXPIRY) - 2)
    order = world.place(StorageTopUp(subscription_id=sub.id, addon="storage10", quantity=1))
    assert order.pay_by == EXPIRY
    world.at(days=_days_to(EXPIRY), minutes=-20)
    with pytest.raises(NotEligibleError) as caught:
        world.place(StorageTopUp(subscription_id=sub.id, addon="storage10", quantity=1))
    assert caught.value.rule == "O8"


def test_o8_a_trial_converted_inside_its_purge_window_is_payable_only_until_the_purge(world: World) -> None:
    trial = start_trial(world.deps, BUYER, customer_id="cus-1", plan="std", idempotency_key="t-1")
    # 15 days of trial from 2026-11-23, then 30 days of purge window: purged at 2027-01-07 00:00 local.
    purge = dt.datetime(2027, 1, 6, 17, 0, tzinfo=dt.UTC)
    world.at(days=_days_to(purge) - 1)
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", trial_id=trial.id))
    assert order.pay_by == purge


def _place(world: World, kind: str, subscription_id: str) -> Order:
    if kind == "renewal":
        return world.renew(subscription_id)
    if kind == "retention":
        return world.place(RetentionPackage(subscription_id=subscription_id, addon="retention", quantity=1))
    return world.place(StorageTopUp(subscription_id=subscription_id, addon="storage10", quantity=1))


def _near(edge: dt.datetime) -> st.SearchStrategy[int]:
    end = int(_days_to(edge) * 24 * 60)
    return st.integers(min_value=end - 9 * 24 * 60, max_value=end + 60)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["renewal", "retention", "top_up"]),
    minutes=st.one_of(
        st.integers(min_value=0, max_value=440 * 24 * 60),  # any time in the subscription's life
        *(_near(edge) for edge in (EXPIRY, PURGE)),  # and often in the last days before each limit
    ),
    scheduler=st.booleans(),
)
def test_o8_an_order_that_can_be_placed_can_be_paid_and_fulfilled_until_its_deadline(
    kind: str, minutes: int, scheduler: bool
) -> None:
    world = World.make()
    sub = world.buy()
    world.at(minutes=minutes)
    if scheduler:
        run_scheduler(world.deps)
    try:
        order = _place(world, kind, sub.id)
    except (NotEligibleError, InvalidTransitionError) as refused:
        assert refused.rule in {"O8", "S1", "S5", "S6"}  # noqa: PT017 - a refusal is one of the two outcomes
        return
    assert order.pay_by is not None
    assert order.pay_by - world.deps.now() >= dt.timedelta(hours=1)
    world.clock.set(order.pay_by - dt.timedelta(seconds=1))
    run_scheduler(world.deps)  # the world goes on: expiry, purge and lapses are applied up to the last second
    world.pay_online(order)
    assert world.order(order.id).state is OrderState.FULFILLED
