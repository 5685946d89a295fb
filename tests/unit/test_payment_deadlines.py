"""Payment deadlines and payment reminders in the domain (O8), and one free trial per product (S12)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.calendar import BusinessCalendar, local_date, start_of_local_day
from subscription_core.catalog import Addon, AddonKind, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.entitlements import Entitlement
from subscription_core.errors import NotEligibleError, ValidationError
from subscription_core.lifecycle import advance, cancel, start_trial, subscribe
from subscription_core.money import Money
from subscription_core.payment_deadlines import (
    MIN_TIME_TO_PAY,
    PayLimit,
    check_reminder_days,
    due_reminder,
    paid_time_limit,
    payment_deadline,
    purge_limit,
    reminder_at,
    reminders_ahead,
)
from subscription_core.renewals import receive_payment
from subscription_core.retention import buy_retention
from subscription_core.subscriptions import Actor, ActorKind, Opening, State, Subscription
from subscription_core.tax import VatSchedule

STAFF = Actor(kind=ActorKind.STAFF, id="staff-1")
YEARLY = PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(3_000_000, "VND"))
PLAN = Plan(code="STD", name="Standard", options=[YEARLY], vat=VatSchedule.flat("KCT"), trial_days=15)
KEEP = Addon(
    code="KEEP",
    name="Lưu trữ",
    kind=AddonKind.RETENTION,
    price=Money.of(100_000, "VND"),
    plans=("STD",),
    vat=VatSchedule.flat("KCT"),
    retention_unit=Cycle(CycleUnit.MONTH),
)
PRODUCT = Product(code="AMIS", name="AMIS", plans=[PLAN], addons=[KEEP])
OTHER = Product(code="QLTS", name="QLTS", plans=[attrs.evolve(PLAN, code="QLTS-STD")])
T0 = datetime(2026, 11, 23, 2, tzinfo=UTC)  # 09:00 in Hà Nội
PAID_UNTIL = start_of_local_day(date(2027, 11, 23))  # a year bought at T0 ends at 00:00 local on 2027-11-23
PURGE = start_of_local_day(date(2027, 12, 23))  # and its data is purged 30 days later


def _opening(sid: str = "sub-1", product: Product = PRODUCT, customer: str = "cus-1") -> Opening:
    return Opening(subscription_id=sid, customer_id=customer, product=product)


def _paid() -> Subscription:
    return subscribe(_opening(), Entitlement.of(PRODUCT, "STD", "1Y"), T0, actor=STAFF).subscription


def _at(sub: Subscription, when: datetime) -> Subscription:
    return advance(sub, when).subscription


# --- the limit of each subscription ------------------------------------------------------------------------


def test_o8_an_active_subscription_is_purged_its_purge_window_after_its_expiry() -> None:
    sub = _paid()
    assert sub.state is State.ACTIVE
    assert purge_limit(sub) == PayLimit(until=PURGE, subscription_id="sub-1", why="its data is purged")
    assert paid_time_limit(sub) == PayLimit(until=PAID_UNTIL, subscription_id="sub-1", why="its paid time ends")


def test_o8_the_limit_of_an_active_subscription_is_the_purge_it_then_gets() -> None:
    expired = _at(_paid(), PAID_UNTIL + timedelta(days=1))
    assert expired.state is State.EXPIRED
    assert expired.purge_at == PURGE
    assert purge_limit(expired) is not None
    assert purge_limit(expired) == purge_limit(_paid())


def test_o8_a_trial_a_cancelled_and_an_archive_are_limited_by_their_purge() -> None:
    trial = start_trial(_opening(), PLAN, T0, actor=STAFF).subscription
    trial_purge = start_of_local_day(date(2026, 12, 8) + timedelta(days=30))
    assert purge_limit(trial) == PayLimit(until=trial_purge, subscription_id="sub-1", why="its data is purged")
    cancelled = cancel(_paid(), T0 + timedelta(days=10), actor=STAFF, reason="closing").subscription
    limit = purge_limit(cancelled)
    assert limit is not None
    assert limit.until == cancelled.purge_at == start_of_local_day(date(2026, 12, 4) + timedelta(days=30))
    expired = _at(_paid(), PAID_UNTIL + timedelta(days=2))
    archive = buy_retention(expired, KEEP, 2, PAID_UNTIL + timedelta(days=2), actor=STAFF).subscription
    assert archive.state is State.READ_ONLY
    ends = archive.retention_ends_at
    assert ends is not None
    limit = purge_limit(archive)
    assert limit is not None
    assert limit.until == start_of_local_day(local_date(ends) + timedelta(days=30))


def test_o8_a_purged_subscription_s_limit_is_past_and_a_pending_payment_sets_none() -> None:
    purged = _at(_paid(), PURGE + timedelta(days=1))
    assert purged.state is State.PURGED
    limit = purge_limit(purged)
    assert limit is not None
    assert limit.until == PURGE
    assert limit.why == "its data was purged"
    pending = receive_payment(
        _paid(), Entitlement.of(PRODUCT, "STD", "1Y"), T0 + timedelta(days=1), calendar=BusinessCalendar(), actor=STAFF
    ).subscription
    assert pending.pending is not None
    assert purge_limit(pending) is None


def test_o8_the_earliest_limit_wins_and_ties_go_to_the_smaller_id() -> None:
    late = PayLimit(until=PURGE, subscription_id="sub-1", why="x")
    early = PayLimit(until=PAID_UNTIL, subscription_id="sub-9", why="x")
    tie = PayLimit(until=PAID_UNTIL, subscription_id="sub-2", why="x")
    assert PayLimit.earliest([late, None, early, tie]) == tie
    assert PayLimit.earliest([None]) is None


# --- the deadline ------------------------------------------------------------------------------------------


def test_o8_the_deadline_is_the_end_of_the_local_day_or_the_limit_if_sooner() -> None:
    assert payment_deadline(T0, pay_within_days=7) == datetime(2026, 11, 30, 16, 59, 59, 999999, tzinfo=UTC)
    far = PayLimit(until=PURGE, subscription_id="sub-1", why="x")
    assert payment_deadline(T0, pay_within_days=7, limit=far) == payment_deadline(T0, pay_within_days=7)
    near = PayLimit(until=T0 + timedelta(days=2), subscription_id="sub-1", why="x")
    assert payment_deadline(T0, pay_within_days=7, limit=near) == T0 + timedelta(days=2)


@given(st.timedeltas(min_value=timedelta(days=-40), max_value=timedelta(days=40)))
def test_o8_a_limit_too_near_or_past_refuses_and_any_other_caps_the_deadline(before_limit: timedelta) -> None:
    limit = PayLimit(until=PURGE, subscription_id="sub-1", why="its data is purged")
    at = PURGE - before_limit
    if before_limit < MIN_TIME_TO_PAY:
        with pytest.raises(NotEligibleError) as caught:
            payment_deadline(at, pay_within_days=7, limit=limit)
        assert (caught.value.rule, caught.value.value) == ("O8", "sub-1")
        assert "2027-12-23 00:00" in caught.value.message
    else:
        deadline = payment_deadline(at, pay_within_days=7, limit=limit)
        assert at + MIN_TIME_TO_PAY <= deadline <= PURGE
        assert deadline.tzinfo is UTC


# --- reminders ---------------------------------------------------------------------------------------------


def test_o8_reminder_lead_times_are_whole_days_distinct_longest_first() -> None:
    assert check_reminder_days([1, 3, 3]) == (3, 1)
    assert check_reminder_days(()) == ()
    for bad in [(0,), (1.5,), (True,), "31", None]:
        with pytest.raises(ValidationError) as caught:
            check_reminder_days(bad)
        assert caught.value.rule == "O8"


def test_o8_a_reminder_falls_at_midnight_local_days_before_the_deadline_s_date() -> None:
    pay_by = datetime(2026, 11, 30, 16, 59, 59, 999999, tzinfo=UTC)  # end of 2026-11-30 local
    assert reminder_at(pay_by, 3) == datetime(2026, 11, 26, 17, tzinfo=UTC)
    assert reminders_ahead(pay_by, [1, 3, 10], placed_at=T0) == (3, 1)
    assert due_reminder(pay_by, (3, 1), at=datetime(2026, 11, 26, 16, tzinfo=UTC)) is None
    assert due_reminder(pay_by, (3, 1), at=datetime(2026, 11, 27, tzinfo=UTC)) == 3
    assert due_reminder(pay_by, (3, 1), at=datetime(2026, 11, 29, tzinfo=UTC)) == 1
    assert due_reminder(pay_by, (3, 1), at=pay_by) is None


# --- S12 ---------------------------------------------------------------------------------------------------


def test_s12_a_second_trial_of_the_product_is_refused_whatever_became_of_the_first() -> None:
    first = start_trial(_opening("sub-1"), PLAN, T0, actor=STAFF).subscription
    later = T0 + timedelta(days=400)
    for held in (first, _at(first, T0 + timedelta(days=20)), _at(first, later)):
        with pytest.raises(NotEligibleError) as caught:
            start_trial(_opening("sub-2"), PLAN, later, actor=STAFF, held=[held])
        assert (caught.value.rule, caught.value.field, caught.value.value) == ("S12", "plan", "STD")
        assert "sub-1" in caught.value.message


def test_s12_a_paid_subscription_or_another_product_s_trial_does_not_count() -> None:
    other = start_trial(_opening("sub-9", OTHER), OTHER.plans[0], T0, actor=STAFF).subscription
    outcome = start_trial(_opening("sub-2"), PLAN, T0, actor=STAFF, held=[_paid(), other])
    assert outcome.subscription.state is State.TRIAL
