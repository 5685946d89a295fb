"""Paid time is never lost: each paid term has its own plan, quotas and storage (S10, S11)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from subscription_core.calendar import VIETNAM_TZ, local_date, start_of_local_day
from subscription_core.catalog import Addon, AddonKind, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.commitments import commit_to_pay, verify_payment
from subscription_core.entitlements import Entitlement, StorageBought
from subscription_core.errors import SubscriptionError
from subscription_core.lifecycle import advance, cancel, subscribe
from subscription_core.money import Currency, Money
from subscription_core.renewals import renew, top_up_storage
from subscription_core.resources import resource_view
from subscription_core.subscriptions import Actor, ActorKind, Event, Opening, State, Subscription
from subscription_core.tax import VatSchedule
from subscription_core.terms import days_in

VND = Currency.of("VND")
KCT = VatSchedule.flat("KCT")
OPTIONS = [
    PricingOption(code="1M", cycle=Cycle(CycleUnit.MONTH), price=Money.of(1_000_000, VND)),
    PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(9_000_000, VND)),
    PricingOption(code="10D", cycle=Cycle(CycleUnit.DAY, 10), price=Money.of(400_000, VND)),
]
PRODUCT = Product(
    code="AMIS",
    name="AMIS",
    plans=[
        Plan(
            code="STD",
            name="Standard",
            options=OPTIONS,
            vat=KCT,
            quotas=[Quota(code="storage", amount=10, unit="GB"), Quota(code="seats", amount=5)],
        ),
        Plan(
            code="ENT",
            name="Enterprise",
            options=OPTIONS,
            vat=KCT,
            quotas=[Quota(code="storage", amount=100, unit="GB"), Quota(code="seats", amount=50)],
            enterprise=True,
        ),
    ],
)
STORAGE = Addon(
    code="STO",
    name="Storage",
    kind=AddonKind.STORAGE,
    price=Money.of(100_000, VND),
    plans={"STD", "ENT"},
    vat=KCT,
    storage_per_unit=5,
)
CUSTOMER = Actor(kind=ActorKind.CUSTOMER, id="user-1")
OPENING = Opening(subscription_id="sub-1", customer_id="cust-1", product=PRODUCT)


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM_TZ)


def entitlement(plan: str, option: str = "1Y", storage_units: int = 0) -> Entitlement:
    bought = (StorageBought(addon="STO", units=storage_units, amount=5 * storage_units),) if storage_units else ()
    return Entitlement.of(PRODUCT, plan, option).with_storage(bought)


def enterprise_with_top_up() -> Subscription:
    """Enterprise paid from 2027-04-20 to 2028-04-19 (last day), with 2 x 5 GB bought on 2027-06-15."""
    sub = subscribe(OPENING, entitlement("ENT"), vn(2027, 4, 20, 9), actor=CUSTOMER).subscription
    return top_up_storage(sub, STORAGE, 2, vn(2027, 6, 15, 10), actor=CUSTOMER).subscription


def granted(sub: Subscription, at: datetime | None = None) -> tuple[str, dict[str, int]]:
    view = resource_view(sub, {}, at=at)
    return view.plan_code, {q.code: q.granted for q in view.quotas}


def test_s10_renewal_onto_another_plan_while_time_remains_waits_for_its_term() -> None:
    sub = enterprise_with_top_up()
    renewed = renew(sub, entitlement("STD"), vn(2027, 7, 1, 9), actor=CUSTOMER).subscription
    assert renewed.last_day == date(2029, 4, 19)
    assert granted(renewed) == ("ENT", {"storage": 110, "seats": 50})
    assert granted(renewed, vn(2028, 4, 19, 23, 59)) == ("ENT", {"storage": 110, "seats": 50})
    assert granted(renewed, vn(2028, 4, 20)) == ("STD", {"storage": 10, "seats": 5})  # before the scheduler runs
    assert renewed.next_due_at == start_of_local_day(date(2028, 4, 20))
    started = advance(renewed, vn(2028, 4, 20, 0, 1))
    assert granted(started.subscription) == ("STD", {"storage": 10, "seats": 5})
    entry = started.subscription.history[-1]
    assert (entry.event, entry.at) == (Event.START_TERM, start_of_local_day(date(2028, 4, 20)))
    assert dict(entry.details) == {"plan": "STD", "term_start": "2028-04-20", "term_end": "2029-04-20", "storage": "0"}
    assert [n.kind.value for n in started.notices] == ["term_started"]


def test_s10_k5_a_commitment_verified_early_waits_for_its_term_too() -> None:
    sub = enterprise_with_top_up()
    registered = commit_to_pay(
        sub, vn(2028, 3, 1), due_on=date(2028, 3, 20), pledged=True, actor=CUSTOMER, entitlement=entitlement("STD")
    ).subscription
    verified = verify_payment(registered, vn(2028, 3, 10), actor=CUSTOMER).subscription
    assert verified.state is State.ACTIVE
    assert granted(verified) == ("ENT", {"storage": 110, "seats": 50})
    assert granted(advance(verified, vn(2028, 4, 20)).subscription) == ("STD", {"storage": 10, "seats": 5})


def test_s10_a_cancelled_subscription_starts_no_later_term() -> None:
    sub = renew(enterprise_with_top_up(), entitlement("STD"), vn(2027, 7, 1), actor=CUSTOMER).subscription
    cancelled = cancel(sub, vn(2027, 8, 1), actor=CUSTOMER, reason="closing down").subscription
    assert cancelled.upcoming == ()
    assert advance(cancelled, vn(2028, 4, 21)).subscription.plan_code == "ENT"


def test_s11_an_old_document_without_upcoming_keeps_its_storage_through_the_paid_time_it_holds() -> None:
    # As stored before S11: a same-plan renewal carried the storage and nothing waited for the new term.
    renewed = renew(enterprise_with_top_up(), entitlement("ENT"), vn(2027, 7, 1), actor=CUSTOMER).subscription
    old = attrs.evolve(renewed, upcoming=(), storage=())
    assert old.current_grant.extra_storage == 10
    later = advance(old, vn(2028, 6, 1)).subscription
    assert later.state is State.ACTIVE
    assert later.extra_storage == 10
    assert later.in_force(date(2029, 4, 19)).extra_storage == 10


# The properties ------------------------------------------------------------------------------------------

renewals = st.tuples(
    st.just("renew"), st.sampled_from(["STD", "ENT"]), st.sampled_from(["1M", "1Y", "10D"]), st.integers(0, 3)
)
top_ups = st.tuples(st.just("top_up"), st.just(""), st.just(""), st.integers(1, 3))
steps = st.lists(st.tuples(st.one_of(renewals, top_ups), st.integers(0, 24 * 200)), max_size=12)


@attrs.frozen
class Expected:
    plan: str
    storage: int


def _apply(
    sub: Subscription, step: tuple[str, str, str, int], at: datetime, model: dict[date, Expected]
) -> Subscription:
    kind, plan, option, units = step
    if kind == "renew":
        storage = units if plan == "ENT" else 0
        new = renew(sub, entitlement(plan, option, storage), at, actor=CUSTOMER).subscription
        model[new.terms[-1].start] = Expected(plan=plan, storage=5 * storage)
        return new
    new = top_up_storage(sub, STORAGE, units, at, actor=CUSTOMER).subscription
    today = local_date(at)
    start = next(t.start for t in new.terms if today in t)
    model[start] = attrs.evolve(model[start], storage=model[start].storage + 5 * units)
    return new


def _check_days(sub: Subscription, model: dict[date, Expected], today: date) -> None:
    for term in sub.terms:
        for day in {max(term.start, today), term.end - timedelta(days=1)}:
            if day < today or day not in term:
                continue
            expected = model[term.start]
            quotas = {q.code: q.amount for q in PRODUCT.plans[expected.plan == "ENT"].quotas}
            seen = sub.in_force(day)
            assert (seen.plan_code, seen.extra_storage) == (expected.plan, expected.storage), day
            assert {q.code: q.amount for q in seen.quotas} == quotas
            advanced = advance(sub, start_of_local_day(day)).subscription
            assert (advanced.plan_code, advanced.extra_storage) == (expected.plan, expected.storage), day


@settings(max_examples=150, deadline=None)
@given(first=st.sampled_from(["1M", "1Y", "10D"]), plan=st.sampled_from(["STD", "ENT"]), walk=steps)
def test_s10_s11_paid_days_never_shrink_and_each_day_has_the_plan_of_its_term(
    first: str, plan: str, walk: list[tuple[tuple[str, str, str, int], int]]
) -> None:
    now = vn(2027, 1, 31, 9)
    sub = subscribe(OPENING, entitlement(plan, first), now, actor=CUSTOMER).subscription
    model = {sub.terms[0].start: Expected(plan=plan, storage=0)}
    paid = sum(days_in(t) for t in sub.terms)
    for step, hours in walk:
        now += timedelta(hours=hours)
        try:
            sub = _apply(sub, step, now, model)
        except SubscriptionError:
            sub = advance(sub, now).subscription
        now_paid = sum(days_in(t) for t in sub.terms)
        assert now_paid >= paid
        paid = now_paid
        assert [g.starts_on for g in sub.upcoming] == [t.start for t in sub.terms[len(sub.terms) - len(sub.upcoming) :]]
        _check_days(sub, model, local_date(now))
