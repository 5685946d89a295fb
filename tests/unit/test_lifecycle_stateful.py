"""Random lifecycles: events and clock jumps in any order keep the invariants (S1-S5, S9, K3, D3, Y3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import pairwise

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from subscription_core.calendar import VIETNAM_TZ, BusinessCalendar, local_date, start_of_local_day
from subscription_core.catalog import Addon, AddonKind, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.commitments import (
    commit_to_pay,
    extend_commitment,
    reject_proof,
    submit_proof,
    verify_payment,
)
from subscription_core.entitlements import COMMITMENT_LIMIT_DAYS, Entitlement
from subscription_core.errors import ReadOnlyError, SubscriptionError
from subscription_core.lifecycle import TRANSITIONS, Outcome, advance, cancel, start_trial, subscribe, subscribe_offline
from subscription_core.money import Money
from subscription_core.renewals import activate, receive_payment, renew, top_up_storage
from subscription_core.retention import Access, access, buy_retention, ensure_writable
from subscription_core.subscriptions import Actor, ActorKind, Opening, State, Subscription
from subscription_core.tax import VatSchedule
from subscription_core.terms import TermUnit, add_units

KCT_PRICE = Money.of(1_000_000, "VND")
OPTIONS = [
    PricingOption(code="1M", cycle=Cycle(CycleUnit.MONTH), price=KCT_PRICE),
    PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=KCT_PRICE),
    PricingOption(code="10D", cycle=Cycle(CycleUnit.DAY, 10), price=KCT_PRICE),
]
PLAN = Plan(
    code="STD",
    name="Standard",
    options=OPTIONS,
    vat=VatSchedule.flat("KCT"),
    quotas=[Quota(code="storage", amount=10, unit="GB")],
    trial_days=15,
)
STORAGE = Addon(
    code="STO", name="Storage", kind=AddonKind.STORAGE, price=KCT_PRICE, plans={"STD"}, vat=PLAN.vat, storage_per_unit=5
)
KEEP = Addon(
    code="KEEP",
    name="Retention",
    kind=AddonKind.RETENTION,
    price=KCT_PRICE,
    plans={"STD"},
    vat=PLAN.vat,
    retention_unit=Cycle(CycleUnit.MONTH),
)
PRODUCT = Product(code="AMIS", name="AMIS", plans=[PLAN], addons=[STORAGE, KEEP])
OPENING = Opening(subscription_id="sub-1", customer_id="0101243150", product=PRODUCT)
ACTOR = Actor(kind=ActorKind.STAFF, id="staff-1")
CALENDAR = BusinessCalendar()
ENTITLEMENTS = {code: Entitlement.of(PRODUCT, "STD", code) for code in ("1M", "1Y", "10D")}
options = st.sampled_from(sorted(ENTITLEMENTS))


class LifecycleMachine(RuleBasedStateMachine):
    """One subscription driven through random events and clock jumps; the clock never goes back."""

    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2026, 1, 1, 9, tzinfo=VIETNAM_TZ)
        self.sub: Subscription | None = None
        self.purged = False
        self.refusals = 0

    @property
    def current(self) -> Subscription:
        assert self.sub is not None
        return self.sub

    @initialize(how=st.sampled_from(["trial", "online", "offline"]), option=options, days=st.integers(0, 1500))
    def start(self, how: str, option: str, days: int) -> None:
        self.now += timedelta(days=days)
        entitlement = ENTITLEMENTS[option]
        if how == "trial":
            out = start_trial(OPENING, PLAN, self.now, actor=ACTOR)
        elif how == "online":
            out = subscribe(OPENING, entitlement, self.now, actor=ACTOR)
        else:
            out = subscribe_offline(OPENING, entitlement, self.now, calendar=CALENDAR, actor=ACTOR)
        self.sub = out.subscription
        assert self.sub.version == 1

    def _apply(self, operation: Callable[[Subscription], Outcome]) -> None:
        before = self.current
        try:
            after = operation(before).subscription
        except SubscriptionError:
            self.refusals += 1
            return
        self._check_change(before, after)
        self.sub = after
        self.purged = self.purged or after.state is State.PURGED

    def _check_change(self, before: Subscription, after: Subscription) -> None:
        added = after.history[len(before.history) :]
        assert after.history[: len(before.history)] == before.history, "history rewritten"
        assert after.version == before.version + len(added)
        if not added:
            assert after == before, "a change without a history entry"
        restarts = any(TRANSITIONS[(e.source, e.event)].restarts_term for e in added)
        if before.expires_at is not None and after.expires_at is not None and not restarts:
            assert after.expires_at >= before.expires_at, "expiry moved backwards"
        if before.state is State.PURGED:
            assert after == before

    @rule(days=st.integers(0, 60), hours=st.integers(0, 23))
    def wait(self, days: int, hours: int) -> None:
        self.now += timedelta(days=days, hours=hours)
        self._apply(lambda s: advance(s, self.now))

    @rule(hours=st.integers(1, 48))
    def wait_hours(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        self._apply(lambda s: advance(s, self.now))

    @rule(hours=st.integers(-30, 30))
    def jump_near_next_due(self, hours: int) -> None:
        due = self.current.next_due_at
        if due is not None and due + timedelta(hours=hours) > self.now:
            self.now = due + timedelta(hours=hours)
            self._apply(lambda s: advance(s, self.now))

    @rule(option=options)
    def renew(self, option: str) -> None:
        self._apply(lambda s: renew(s, ENTITLEMENTS[option], self.now, actor=ACTOR))

    @rule(option=options, hours_ago=st.integers(0, 72))
    def receive_payment(self, option: str, hours_ago: int) -> None:
        received = self.now - timedelta(hours=hours_ago)
        self._apply(lambda s: receive_payment(s, ENTITLEMENTS[option], received, calendar=CALENDAR, actor=ACTOR))

    @rule()
    def activate(self) -> None:
        self._apply(lambda s: activate(s, self.now, actor=ACTOR))

    @rule(due_in=st.integers(-3, 200))
    def commit_to_pay(self, due_in: int) -> None:
        due_on = local_date(self.now) + timedelta(days=due_in)
        self._apply(lambda s: commit_to_pay(s, self.now, due_on=due_on, pledged=True, actor=ACTOR))

    @rule(due_in=st.integers(-3, 200))
    def extend_commitment(self, due_in: int) -> None:
        due_on = local_date(self.now) + timedelta(days=due_in)
        self._apply(lambda s: extend_commitment(s, self.now, due_on=due_on, pledged=True, actor=ACTOR))

    @rule()
    def submit_proof(self) -> None:
        self._apply(lambda s: submit_proof(s, self.now, transfer_content="CK", attachment="unc.png", actor=ACTOR))

    @rule()
    def reject_proof(self) -> None:
        self._apply(lambda s: reject_proof(s, self.now, actor=ACTOR, reason="not found"))

    @rule()
    def verify_payment(self) -> None:
        self._apply(lambda s: verify_payment(s, self.now, actor=ACTOR))

    @precondition(lambda self: self.sub is not None and self.sub.state in {State.EXPIRED, State.READ_ONLY})
    @rule(quantity=st.integers(1, 3))
    def buy_retention(self, quantity: int) -> None:
        self._apply(lambda s: buy_retention(s, KEEP, quantity, self.now, actor=ACTOR))

    @rule(quantity=st.integers(1, 3))
    def top_up_storage(self, quantity: int) -> None:
        self._apply(lambda s: top_up_storage(s, STORAGE, quantity, self.now, actor=ACTOR))

    @rule(mind=st.integers(0, 4))
    def cancel(self, mind: int) -> None:
        if mind == 0:  # seldom: a cancellation ends most of what is worth exploring
            self._apply(lambda s: cancel(s, self.now, actor=ACTOR, reason="asked"))

    @invariant()
    def purged_is_terminal(self) -> None:
        if self.sub is not None and self.purged:
            assert self.sub.state is State.PURGED
            assert self.sub.next_due_at is None
            assert self.sub.purge_record is not None

    @invariant()
    def read_only_never_accepts_a_write(self) -> None:
        if self.sub is None or access(self.sub, self.now) is not Access.READ_ONLY:
            return
        with pytest.raises(ReadOnlyError):
            ensure_writable(self.sub, self.now)
        with pytest.raises(SubscriptionError):
            top_up_storage(self.sub, STORAGE, 1, self.now, actor=ACTOR)

    @invariant()
    def commitment_due_dates_within_limit(self) -> None:
        commitment = self.sub.commitment if self.sub is not None else None
        if commitment is not None:
            limit = local_date(commitment.registered_at) + timedelta(days=COMMITMENT_LIMIT_DAYS)
            assert 1 <= len(commitment.due_dates) <= 2
            assert all(local_date(commitment.registered_at) < due <= limit for due in commitment.due_dates)

    @invariant()
    def every_change_is_in_the_history_in_time_order(self) -> None:
        if self.sub is not None:
            assert self.sub.version == len(self.sub.history)
            assert all(a.at <= b.at for a, b in pairwise(self.sub.history))

    @invariant()
    def terms_are_ordered_and_never_overlap(self) -> None:
        if self.sub is not None:
            assert all(a.end <= b.start for a, b in pairwise(self.sub.terms))

    @invariant()
    def each_waiting_grant_is_one_of_the_last_terms(self) -> None:
        if self.sub is not None:
            waiting = self.sub.upcoming
            later = self.sub.terms[len(self.sub.terms) - len(waiting) :] if waiting else ()
            assert [g.starts_on for g in waiting] == [t.start for t in later]
            now = advance(self.sub, self.now).subscription
            if now.state is State.ACTIVE and self.sub.pending is None:
                # What a view reads before the scheduler runs is what the scheduler applies (S10, S11).
                seen = attrs.evolve(self.sub.in_force(local_date(self.now)), starts_on=now.current_grant.starts_on)
                assert seen == now.current_grant

    @invariant()
    def advancing_is_idempotent(self) -> None:
        if self.sub is not None:
            once = advance(self.sub, self.now).subscription
            twice = advance(once, self.now)
            assert twice.subscription == once
            assert twice.notices == ()


def test_s1_s4_s5_s9_k3_y3_random_lifecycles_keep_the_invariants() -> None:
    run_state_machine_as_test(LifecycleMachine)


anchors = st.one_of(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31)),
    st.sampled_from([date(2024, 2, 29), date(2028, 2, 29), date(2026, 1, 31), date(2026, 8, 31), date(2026, 3, 30)]),
)


def _start(anchor: date, entitlement: Entitlement) -> Subscription:
    return subscribe(OPENING, entitlement, start_of_local_day(anchor), actor=ACTOR).subscription


@given(
    anchor=anchors,
    renewals=st.lists(st.tuples(st.sampled_from([TermUnit.MONTH, TermUnit.YEAR]), st.integers(1, 24)), max_size=25),
    lead=st.integers(0, 20),
)
def test_s2_d3_renewals_before_expiry_are_contiguous_and_none_billed_twice(
    anchor: date, renewals: list[tuple[TermUnit, int]], lead: int
) -> None:
    first = attrs.evolve(ENTITLEMENTS["1M"], unit=TermUnit.MONTH, length=1)
    sub = _start(anchor, first)
    for unit, length in renewals:
        expires = sub.expires_at
        assert expires is not None
        at = max(expires - timedelta(days=lead, hours=1), sub.history[-1].at)
        sub = renew(sub, attrs.evolve(first, unit=unit, length=length), at, actor=ACTOR).subscription
    months = 1 + sum(length * (12 if unit is TermUnit.YEAR else 1) for unit, length in renewals)
    assert sub.terms[0].start == anchor
    assert all(a.end == b.start for a, b in pairwise(sub.terms)), "a gap or an overlap"
    assert sub.terms[-1].end == add_units(anchor, TermUnit.MONTH, months), "time skipped or billed twice"
    assert [e.event.value for e in sub.history].count("expire") == 0


@given(
    anchor=anchors,
    renewals=st.lists(st.tuples(st.sampled_from(sorted(ENTITLEMENTS)), st.integers(0, 500)), max_size=20),
)
def test_s2_renewals_at_any_time_never_overlap_nor_lose_paid_time(
    anchor: date, renewals: list[tuple[str, int]]
) -> None:
    sub = _start(anchor, ENTITLEMENTS["1Y"])
    now = start_of_local_day(anchor)
    for option, wait in renewals:
        expires = sub.expires_at
        assert expires is not None
        now = min(now + timedelta(days=wait, hours=1), expires + timedelta(days=29))  # renewed before the purge
        before = sub
        sub = renew(sub, ENTITLEMENTS[option], now, actor=ACTOR).subscription
        new, previous = sub.terms[-1], before.terms[-1]
        if now < expires:
            assert new.start == previous.end  # S2: extends from the current expiry
        else:
            assert new.start == local_date(now) >= previous.end  # S2: starts on the activation date
        entitlement = ENTITLEMENTS[option]
        assert new.end > new.start
        if entitlement.unit is TermUnit.DAY:
            assert (new.end - new.start).days == entitlement.length
    assert all(a.end <= b.start for a, b in pairwise(sub.terms))
