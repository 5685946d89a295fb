"""The lifecycle: transition table, trial conversion, payments, renewals, warnings, purge and retention."""

from __future__ import annotations

import doctest
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from subscription_core.activation import activation_deadline
from subscription_core.calendar import VIETNAM_TZ, BusinessCalendar, end_of_local_day, start_of_local_day
from subscription_core.catalog import Addon, AddonKind, Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.entitlements import Entitlement
from subscription_core.errors import (
    InvalidTransitionError,
    NotEligibleError,
    ReadOnlyError,
    SubscriptionError,
    ValidationError,
)
from subscription_core.lifecycle import (
    TRANSITIONS,
    NoticeKind,
    Outcome,
    advance,
    cancel,
    mermaid_diagram,
    start_trial,
    subscribe,
    subscribe_offline,
)
from subscription_core.money import Currency, Money
from subscription_core.renewals import activate, receive_payment, renew, top_up_storage
from subscription_core.retention import Access, access, buy_retention, ensure_writable
from subscription_core.scheduling import run_due
from subscription_core.subscriptions import Actor, ActorKind, Event, Opening, State, Subscription
from subscription_core.tax import VatSchedule

VND = Currency.of("VND")
KCT = VatSchedule.flat("KCT")
DOC = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"


def _option(code: str, unit: CycleUnit, length: int = 1) -> PricingOption:
    return PricingOption(code=code, cycle=Cycle(unit, length), price=Money.of(1_000_000, VND))


OPTIONS = [_option("1M", CycleUnit.MONTH), _option("1Y", CycleUnit.YEAR), _option("10D", CycleUnit.DAY, 10)]
STANDARD = Plan(
    code="STD",
    name="Standard",
    options=OPTIONS,
    vat=KCT,
    quotas=[Quota(code="storage", amount=10, unit="GB"), Quota(code="seats", amount=5)],
    trial_days=15,
)
ENTERPRISE = Plan(
    code="ENT",
    name="Enterprise",
    options=OPTIONS,
    vat=KCT,
    quotas=[Quota(code="storage", amount=100, unit="GB"), Quota(code="seats", amount=50)],
    enterprise=True,
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
KEEP = Addon(
    code="KEEP",
    name="Data retention",
    kind=AddonKind.RETENTION,
    price=Money.of(200_000, VND),
    plans={"STD", "ENT"},
    vat=KCT,
    retention_unit=Cycle(CycleUnit.MONTH),
    max_quantity=24,
)
PRODUCT = Product(code="AMIS", name="AMIS", plans=[STANDARD, ENTERPRISE], addons=[STORAGE, KEEP])
CUSTOMER = Actor(kind=ActorKind.CUSTOMER, id="user-1")
STAFF = Actor(kind=ActorKind.STAFF, id="staff-1")
CALENDAR = BusinessCalendar()
YEAR = Entitlement.of(PRODUCT, "STD", "1Y")
MONTH = Entitlement.of(PRODUCT, "STD", "1M")


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM_TZ)


def opening(product: Product = PRODUCT, sid: str = "sub-1") -> Opening:
    return Opening(subscription_id=sid, customer_id="cust-1", product=product)


def active(at: datetime, entitlement: Entitlement = YEAR, product: Product = PRODUCT) -> Subscription:
    return subscribe(opening(product), entitlement, at, actor=CUSTOMER).subscription


def expired(last_day: date) -> Subscription:
    """A subscription of 30 days whose last day is ``last_day``, advanced to the first instant after it."""
    start = last_day - timedelta(days=29)
    sub = active(vn(start.year, start.month, start.day), _days(30))
    assert sub.last_day == last_day
    return advance(sub, start_of_local_day(last_day + timedelta(days=1))).subscription


def _days(n: int) -> Entitlement:
    return attrs.evolve(Entitlement.of(PRODUCT, "STD", "10D"), length=n)


def kinds(outcome: Outcome) -> list[NoticeKind]:
    return [n.kind for n in outcome.notices]


def events(sub: Subscription) -> list[Event]:
    return [e.event for e in sub.history]


# S1: the table -----------------------------------------------------------------------------------------------


def test_s1_every_state_is_reachable_from_creation() -> None:
    reached: set[State] = set()
    frontier = {row.target for row in TRANSITIONS.values() if row.source is None}
    while frontier:
        reached |= frontier
        frontier = {r.target for r in TRANSITIONS.values() if r.source in frontier} - reached
    assert reached == set(State)


def test_s1_purged_is_terminal_in_the_table() -> None:
    assert [row for row in TRANSITIONS.values() if row.source is State.PURGED] == []


def test_s1_event_the_table_refuses_names_state_and_event() -> None:
    sub = expired(date(2026, 3, 31))
    with pytest.raises(InvalidTransitionError) as caught:
        top_up_storage(sub, STORAGE, 1, vn(2026, 4, 2), actor=CUSTOMER)
    assert "top_up_storage" in str(caught.value)
    assert "'expired'" in str(caught.value)
    assert caught.value.rule == "S1"


def test_s1_guard_refusal_is_not_eligible_with_its_reason() -> None:
    sub = active(vn(2026, 1, 5))
    with pytest.raises(NotEligibleError, match="no payment is pending") as caught:
        activate(sub, vn(2026, 1, 6), actor=STAFF)
    assert caught.value.rule == "Y3"


def test_s1_docs_diagram_is_the_generated_one() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```mermaid\n(.*?)```", text, flags=re.DOTALL)
    assert block is not None, "docs/lifecycle.md has no mermaid block"
    assert block.group(1) == mermaid_diagram(), "docs/lifecycle.md is stale: regenerate it (see the doc)"


def test_s1_diagram_has_one_arrow_per_row() -> None:
    arrows = [line for line in mermaid_diagram().splitlines() if "-->" in line]
    assert len(arrows) == len(TRANSITIONS) + 1  # plus purged --> [*]
    assert "    active_on_commitment --> cut_off : cut_off [no proof pending]" in arrows


def test_s1_docs_examples_run() -> None:
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_s1_cancel_then_purge_after_window() -> None:
    sub = active(vn(2026, 1, 5))
    out = cancel(sub, vn(2026, 3, 10, 15), actor=STAFF, reason="customer asked")
    sub = out.subscription
    assert sub.state is State.CANCELLED
    assert kinds(out) == [NoticeKind.CANCELLED]
    assert sub.purge_at == start_of_local_day(date(2026, 4, 10))
    assert advance(sub, vn(2026, 4, 9, 23, 59)).subscription.state is State.CANCELLED
    assert advance(sub, vn(2026, 4, 10, 0)).subscription.state is State.PURGED
    with pytest.raises(InvalidTransitionError):
        cancel(sub, vn(2026, 3, 11), actor=STAFF, reason="again")


def test_s1_naive_instant_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        subscribe(opening(), YEAR, datetime(2026, 1, 5, 9), actor=CUSTOMER)  # noqa: DTZ001 - the point
    assert caught.value.rule == "D2"


# C4 and Y2: trial and online payment ------------------------------------------------------------------------


def test_c4_trial_becomes_paid_on_first_paid_order() -> None:
    trial = start_trial(opening(), STANDARD, vn(2026, 3, 1), actor=CUSTOMER)
    assert trial.subscription.state is State.TRIAL
    assert trial.subscription.last_day == date(2026, 3, 15)
    out = renew(trial.subscription, YEAR, vn(2026, 3, 10), actor=CUSTOMER)
    sub = out.subscription
    assert sub.state is State.ACTIVE
    assert (sub.terms[0].start, sub.terms[0].end) == (date(2026, 3, 10), date(2027, 3, 10))
    assert kinds(out) == [NoticeKind.EXPIRING_SOON, NoticeKind.ACTIVATED]  # the 7-day warning fell due on 9 March
    assert events(sub) == [Event.START_TRIAL, Event.WARN, Event.RENEW]


def test_c4_trial_refused_when_plan_offers_none() -> None:
    with pytest.raises(NotEligibleError) as caught:
        start_trial(opening(), ENTERPRISE, vn(2026, 3, 1), actor=CUSTOMER)
    assert caught.value.rule == "C4"


def test_c4_unpaid_trial_expires_then_is_purged() -> None:
    sub = start_trial(opening(), STANDARD, vn(2026, 3, 1), actor=CUSTOMER).subscription
    later = advance(sub, vn(2026, 5, 1)).subscription
    assert [e.event for e in later.history][-2:] == [Event.EXPIRE, Event.PURGE]
    assert later.history[-2].at == start_of_local_day(date(2026, 3, 16))


def test_c4_only_trial_conversion_restarts_the_term() -> None:
    restarting = {(row.source, row.event) for row in TRANSITIONS.values() if row.restarts_term}
    assert restarting == {(State.TRIAL, Event.RENEW), (State.TRIAL, Event.ACTIVATE)}


def test_y2_online_purchase_is_active_at_once() -> None:
    out = subscribe(opening(), YEAR, vn(2026, 1, 31, 23, 30), actor=Actor(kind=ActorKind.SYSTEM, id="vnpay"))
    sub = out.subscription
    assert sub.state is State.ACTIVE
    assert (sub.terms[0].start, sub.terms[0].end) == (date(2026, 1, 31), date(2027, 1, 31))
    assert sub.expires_at == start_of_local_day(date(2027, 1, 31))
    assert kinds(out) == [NoticeKind.ACTIVATED]


# Y3: offline payment, activated within one business day -----------------------------------------------------


def test_y3_offline_payment_activated_by_next_business_day() -> None:
    received = vn(2027, 4, 30, 14)  # Friday; Sat 1 May is Labour Day, observed Monday 3 May
    out = subscribe_offline(opening(), YEAR, received, calendar=CALENDAR, actor=STAFF)
    sub = out.subscription
    assert sub.state is State.AWAITING_ACTIVATION
    assert sub.pending is not None
    assert sub.pending.activate_by == end_of_local_day(date(2027, 5, 4))
    assert run_due([sub], vn(2027, 5, 4, 23, 59)).subscriptions == ()
    run = run_due([sub], vn(2027, 5, 5, 0, 0))
    (new,) = run.subscriptions
    assert new.state is State.ACTIVE
    assert new.history[-1].at == end_of_local_day(date(2027, 5, 4))
    assert new.history[-1].actor == Actor.scheduler()
    assert new.terms[0].start == date(2027, 5, 4)
    assert [n.kind for n in run.notices] == [NoticeKind.ACTIVATED]


def test_y3_staff_activate_before_the_deadline() -> None:
    sub = subscribe_offline(opening(), YEAR, vn(2027, 4, 30, 14), calendar=CALENDAR, actor=STAFF).subscription
    sub = activate(sub, vn(2027, 4, 30, 16), actor=STAFF).subscription
    assert sub.state is State.ACTIVE
    assert sub.terms[0].start == date(2027, 4, 30)
    assert run_due([sub], vn(2027, 5, 6)).subscriptions == ()


@pytest.mark.parametrize(
    ("received", "deadline_day"),
    [
        (vn(2026, 2, 13, 16), date(2026, 2, 23)),  # Friday before Tết 2026: Mon 16 to Fri 20 are days off
        (vn(2027, 2, 3, 23, 30), date(2027, 2, 11)),  # the eve of Tết's first day off, late at night
        (vn(2026, 8, 21, 10), date(2026, 8, 22)),  # Saturday 22 Aug 2026 is a make-up working day
        (vn(2026, 8, 28, 10), date(2026, 9, 3)),  # Mon 31 Aug swapped off, 1-2 Sep National Day
        (vn(2026, 12, 31, 18), date(2027, 1, 4)),  # New Year's Day on a Friday
        (vn(2027, 5, 2, 10), date(2027, 5, 4)),  # received on a Sunday of the Labour Day weekend
    ],
)
def test_y3_d4_deadline_on_holidays_and_swapped_days(received: datetime, deadline_day: date) -> None:
    assert activation_deadline(received, calendar=CALENDAR) == end_of_local_day(deadline_day)


def test_y3_deadline_takes_the_local_date_of_a_utc_instant() -> None:
    received = datetime(2027, 4, 29, 18, 0, tzinfo=UTC)  # already Friday 30 April, 01:00 in Hà Nội
    assert activation_deadline(received, calendar=CALENDAR) == end_of_local_day(date(2027, 5, 4))


def test_y3_private_sector_calendar_ignores_make_up_saturday() -> None:
    private = BusinessCalendar(apply_government_swaps=False)
    assert activation_deadline(vn(2026, 8, 21, 10), calendar=private) == end_of_local_day(date(2026, 8, 24))


def test_y3_trial_paid_offline_becomes_paid_at_activation() -> None:
    sub = start_trial(opening(), STANDARD, vn(2026, 3, 1), actor=CUSTOMER).subscription
    sub = receive_payment(sub, YEAR, vn(2026, 3, 5, 10), calendar=CALENDAR, actor=STAFF).subscription
    assert sub.state is State.TRIAL
    sub = activate(sub, vn(2026, 3, 6, 9), actor=STAFF).subscription
    assert sub.state is State.ACTIVE
    assert sub.terms[0].start == date(2026, 3, 6)


def test_y3_s2_money_received_before_expiry_extends_even_if_activated_after() -> None:
    sub = active(vn(2026, 2, 13, 9), MONTH)  # expires 00:00 on 13 March 2026, a Friday
    sub = receive_payment(sub, YEAR, vn(2026, 3, 12, 17), calendar=CALENDAR, actor=STAFF).subscription
    later = advance(sub, vn(2026, 3, 20)).subscription
    assert later.state is State.ACTIVE
    assert Event.EXPIRE not in events(later)
    assert later.terms[-1].start == later.terms[-2].end == date(2026, 3, 13)
    assert later.terms[-1].end == date(2027, 3, 13)


def test_y3_pending_payment_holds_the_purge() -> None:
    sub = expired(date(2026, 2, 10))  # purge due 00:00 on 13 March 2026 (Friday)
    assert sub.purge_at == start_of_local_day(date(2026, 3, 13))
    sub = receive_payment(sub, YEAR, vn(2026, 3, 12, 16), calendar=CALENDAR, actor=STAFF).subscription
    later = advance(sub, vn(2026, 3, 16)).subscription
    assert later.state is State.ACTIVE
    assert Event.PURGE not in events(later)
    assert later.terms[-1].start == date(2026, 3, 13)


def test_y3_one_pending_payment_at_a_time() -> None:
    sub = active(vn(2026, 1, 5))
    sub = receive_payment(sub, YEAR, vn(2026, 6, 1), calendar=CALENDAR, actor=STAFF).subscription
    with pytest.raises(NotEligibleError) as caught:
        receive_payment(sub, YEAR, vn(2026, 6, 1, 10), calendar=CALENDAR, actor=STAFF)
    assert caught.value.rule == "Y3"


# S2: renewal -----------------------------------------------------------------------------------------------


def test_s2_renewal_before_expiry_extends_from_current_expiry() -> None:
    sub = active(vn(2026, 1, 5))
    out = renew(sub, YEAR, vn(2026, 12, 1), actor=CUSTOMER)
    assert [(t.start, t.end) for t in out.subscription.terms] == [
        (date(2026, 1, 5), date(2027, 1, 5)),
        (date(2027, 1, 5), date(2028, 1, 5)),
    ]
    assert kinds(out) == [NoticeKind.EXTENDED]


def test_s2_renewal_after_expiry_starts_on_activation() -> None:
    sub = active(vn(2026, 1, 5))
    out = renew(sub, YEAR, vn(2027, 1, 20, 8), actor=CUSTOMER)
    sub = out.subscription
    # The scheduler never ran: the verb applies the expiry first, without the warnings that no longer apply.
    assert events(sub) == [Event.SUBSCRIBE, Event.EXPIRE, Event.RENEW]
    assert (sub.terms[-1].start, sub.terms[-1].end) == (date(2027, 1, 20), date(2028, 1, 20))
    assert kinds(out) == [NoticeKind.EXPIRED, NoticeKind.ACTIVATED]


def test_s2_d3_monthly_renewals_keep_the_anchor_day() -> None:
    sub = active(vn(2026, 1, 31), MONTH)
    for _ in range(3):
        sub = renew(sub, MONTH, vn(2026, 2, 1), actor=CUSTOMER).subscription
    assert [t.end for t in sub.terms] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]


def test_s2_d3_leap_day_anchor_comes_back_every_four_years() -> None:
    sub = active(vn(2028, 2, 29), YEAR)
    for _ in range(4):
        sub = renew(sub, YEAR, vn(2028, 3, 1), actor=CUSTOMER).subscription
    assert [t.end for t in sub.terms] == [
        date(2029, 2, 28),
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
        date(2033, 2, 28),
    ]


def test_s2_s10_plan_switch_on_renewal_takes_effect_with_the_new_term() -> None:
    sub = active(vn(2026, 1, 5))
    sub = renew(sub, Entitlement.of(PRODUCT, "ENT", "1Y"), vn(2026, 12, 1), actor=CUSTOMER).subscription
    assert sub.plan_code == "STD"
    sub = advance(sub, vn(2027, 1, 5)).subscription
    assert sub.plan_code == "ENT"
    assert {q.code: q.amount for q in sub.quotas} == {"storage": 100, "seats": 50}
    late = renew(expired(date(2026, 3, 31)), Entitlement.of(PRODUCT, "ENT", "1Y"), vn(2026, 4, 3), actor=CUSTOMER)
    assert late.subscription.plan_code == "ENT"  # after expiry the new term starts at once


def test_s2_renewal_to_a_plan_of_another_product_refused() -> None:
    other = Product(code="QLTS", name="QLTS", plans=[attrs.evolve(STANDARD, code="QLTS-STD")])
    with pytest.raises(NotEligibleError) as caught:
        renew(active(vn(2026, 1, 5)), Entitlement.of(other, "QLTS-STD", "1Y"), vn(2026, 12, 1), actor=CUSTOMER)
    assert caught.value.rule == "C1"
    with pytest.raises(NotEligibleError):
        subscribe(opening(other), YEAR, vn(2026, 1, 5), actor=CUSTOMER)


def test_s2_renewal_from_read_only_archive_starts_a_new_term() -> None:
    sub = expired(date(2026, 3, 31))
    sub = buy_retention(sub, KEEP, 2, vn(2026, 4, 5), actor=STAFF).subscription
    sub = renew(sub, YEAR, vn(2026, 5, 1), actor=CUSTOMER).subscription
    assert sub.state is State.ACTIVE
    assert sub.retention is None
    assert sub.terms[-1].start == date(2026, 5, 1)


# S3: expiry warnings ----------------------------------------------------------------------------------------


def _daily(sub: Subscription, first: date, last: date) -> list[tuple[date, str]]:
    sent: list[tuple[date, str]] = []
    day = first
    while day <= last:
        run = run_due([sub], vn(day.year, day.month, day.day, 1))
        sent.extend((notice.at.astimezone(VIETNAM_TZ).date(), notice.kind.value) for notice in run.notices)
        sub = run.subscriptions[0] if run.subscriptions else sub
        day += timedelta(days=1)
    return sent


def test_s3_warnings_at_default_lead_times() -> None:
    sub = active(vn(2026, 1, 5))  # expires 00:00 on 5 January 2027
    assert _daily(sub, date(2026, 11, 1), date(2027, 1, 6)) == [
        (date(2026, 12, 6), "expiring_soon"),
        (date(2026, 12, 21), "expiring_soon"),
        (date(2026, 12, 29), "expiring_soon"),
        (date(2027, 1, 4), "expiring_soon"),
        (date(2027, 1, 5), "expired"),
    ]


def test_s3_lead_times_configurable_per_product() -> None:
    product = attrs.evolve(PRODUCT, warning_days=(3,))
    sub = active(vn(2026, 1, 5), product=product)
    assert _daily(sub, date(2026, 12, 25), date(2027, 1, 5)) == [
        (date(2027, 1, 2), "expiring_soon"),
        (date(2027, 1, 5), "expired"),
    ]


def test_s3_after_downtime_only_the_latest_warning_is_sent() -> None:
    sub = active(vn(2026, 1, 5))
    run = run_due([sub], vn(2027, 1, 1))  # the 30-, 15- and 7-day warnings were all missed
    assert [(n.kind, n.details[0]) for n in run.notices] == [(NoticeKind.EXPIRING_SOON, ("days_left", "7"))]
    assert run.subscriptions[0].warned == frozenset({30, 15, 7})
    assert run_due(run.subscriptions, vn(2027, 1, 1)).notices == ()


def test_s3_no_warning_once_the_deadline_passed_too() -> None:
    sub = active(vn(2026, 1, 5))
    run = run_due([sub], vn(2027, 1, 20))
    assert [n.kind for n in run.notices] == [NoticeKind.EXPIRED]


def test_s3_short_trial_skips_lead_times_already_past() -> None:
    sub = start_trial(opening(), STANDARD, vn(2026, 3, 1), actor=CUSTOMER).subscription  # 15 days
    sent = _daily(sub, date(2026, 3, 1), date(2026, 3, 16))
    assert sent == [
        (date(2026, 3, 9), "expiring_soon"),
        (date(2026, 3, 15), "expiring_soon"),
        (date(2026, 3, 16), "expired"),
    ]


def test_s3_renewal_resets_the_warnings_for_the_new_expiry() -> None:
    sub = advance(active(vn(2026, 1, 5)), vn(2026, 12, 30)).subscription
    assert sub.warned == frozenset({30, 15, 7})
    sub = renew(sub, YEAR, vn(2026, 12, 30), actor=CUSTOMER).subscription
    assert sub.next_due_at == start_of_local_day(date(2027, 1, 5))  # the new term starts (S10)
    sub = advance(sub, vn(2027, 1, 5)).subscription
    assert sub.warned == frozenset()
    assert sub.next_due_at == start_of_local_day(date(2027, 12, 6))


# S4: purge -------------------------------------------------------------------------------------------------


def test_s4_purge_30_days_after_expiry_leaves_a_record() -> None:
    sub = expired(date(2026, 3, 31))
    assert sub.state is State.EXPIRED
    assert sub.purge_at == start_of_local_day(date(2026, 5, 1))
    assert advance(sub, vn(2026, 4, 30, 23, 59)).subscription.state is State.EXPIRED
    out = advance(sub, vn(2026, 5, 1, 0, 0))
    purged = out.subscription
    assert purged.state is State.PURGED
    assert purged.purge_record is not None
    assert purged.purge_record.purged_at == start_of_local_day(date(2026, 5, 1))
    assert purged.purge_record.window_started_on == date(2026, 4, 1)
    assert purged.purge_record.erased == ("application data",)
    assert kinds(out) == [NoticeKind.PURGED]
    assert purged.next_due_at is None


def test_s4_purge_window_configurable_per_product() -> None:
    product = attrs.evolve(PRODUCT, purge_after_days=10)
    sub = active(vn(2026, 1, 5), MONTH, product=product)
    sub = advance(sub, vn(2026, 2, 14, 23)).subscription
    assert sub.state is State.EXPIRED
    assert advance(sub, vn(2026, 2, 15, 0)).subscription.state is State.PURGED


def test_s4_purge_erases_the_proof_of_payment() -> None:
    from subscription_core.commitments import commit_to_pay, submit_proof  # noqa: PLC0415 - K here only as data

    sub = active(vn(2026, 1, 5))
    sub = commit_to_pay(sub, vn(2026, 12, 20), due_on=date(2027, 2, 1), pledged=True, actor=CUSTOMER).subscription
    sub = submit_proof(
        sub, vn(2027, 1, 10), transfer_content="AMIS 0101243150", attachment="files/uy-nhiem-chi.png", actor=CUSTOMER
    ).subscription
    sub = cancel(sub, vn(2027, 1, 11), actor=STAFF, reason="duplicate subscription").subscription
    purged = advance(sub, vn(2027, 3, 1)).subscription
    assert purged.state is State.PURGED
    assert purged.commitment is not None
    assert purged.commitment.proof is None
    assert purged.purge_record is not None
    assert purged.purge_record.erased == ("application data", "payment proof")
    assert "uy-nhiem-chi" not in repr(purged)


def test_s4_downtime_applies_every_missed_transition_in_order() -> None:
    sub = active(vn(2026, 1, 5), MONTH)
    run = run_due([sub], vn(2026, 9, 1))
    assert [c.entry.event for c in run.changes] == [Event.EXPIRE, Event.PURGE]
    assert run.changes[0].entry.at == start_of_local_day(date(2026, 2, 5))
    assert run.changes[1].entry.at == start_of_local_day(date(2026, 3, 7))
    assert [n.kind for n in run.notices] == [NoticeKind.EXPIRED, NoticeKind.PURGED]


def test_s4_running_the_step_twice_changes_nothing_more() -> None:
    subs = [active(vn(2026, 1, d), MONTH) for d in range(1, 28)]
    subs = [attrs.evolve(s, id=f"sub-{i}") for i, s in enumerate(subs)]
    first = run_due(subs, vn(2026, 2, 20))
    assert first.changes
    merged = {s.id: s for s in subs} | {s.id: s for s in first.subscriptions}
    second = run_due(merged.values(), vn(2026, 2, 20))
    assert second == type(second)(subscriptions=(), changes=(), notices=())


def test_s4_renewal_in_the_purge_window_prevents_the_purge() -> None:
    sub = expired(date(2026, 3, 31))
    sub = renew(sub, YEAR, vn(2026, 4, 30, 20), actor=CUSTOMER).subscription
    assert sub.state is State.ACTIVE
    assert sub.purge_at is None
    assert advance(sub, vn(2026, 6, 1)).subscription.state is State.ACTIVE


# S5: data retention ----------------------------------------------------------------------------------------


def test_s5_retention_refused_while_active() -> None:
    sub = active(vn(2026, 1, 5))
    with pytest.raises(NotEligibleError, match="still active") as caught:
        buy_retention(sub, KEEP, 1, vn(2026, 6, 1), actor=STAFF)
    assert caught.value.rule == "S5"
    assert "2027-01-04" in str(caught.value)


def test_s5_retention_refused_after_purge() -> None:
    sub = expired(date(2026, 3, 31))
    with pytest.raises(NotEligibleError, match="already purged") as caught:
        buy_retention(sub, KEEP, 1, vn(2026, 5, 1, 0, 0), actor=STAFF)
    assert caught.value.rule == "S5"


@pytest.mark.parametrize("day", [date(2026, 4, 1), date(2026, 4, 15), date(2026, 4, 30)])
def test_s5_retention_allowed_from_the_day_after_expiry_to_the_window_end(day: date) -> None:
    sub = expired(date(2026, 3, 31))  # last day E = 31 March; allowed while E < today <= E + 30
    out = buy_retention(sub, KEEP, 3, vn(day.year, day.month, day.day, 23, 59), actor=STAFF)
    assert out.subscription.state is State.READ_ONLY
    assert out.subscription.retention is not None
    assert out.subscription.retention.day == day
    assert kinds(out)[-1] is NoticeKind.RETENTION_BOUGHT


def test_s5_retention_refused_on_the_last_day_of_the_term() -> None:
    sub = active(vn(2026, 3, 1), MONTH)
    with pytest.raises(NotEligibleError):
        buy_retention(sub, KEEP, 1, vn(2026, 3, 31, 23, 59), actor=STAFF)


def test_s5_read_only_refuses_every_write_and_allows_viewing() -> None:
    sub = buy_retention(expired(date(2026, 3, 31)), KEEP, 2, vn(2026, 4, 10), actor=STAFF).subscription
    with pytest.raises(ReadOnlyError) as caught:
        ensure_writable(sub, vn(2026, 4, 11))
    assert caught.value.rule == "S5"
    assert access(sub, vn(2026, 4, 11)) is Access.READ_ONLY
    with pytest.raises(InvalidTransitionError):
        top_up_storage(sub, STORAGE, 1, vn(2026, 4, 11), actor=CUSTOMER)


def test_s5_quantity_of_units_sets_the_archive_length() -> None:
    sub = buy_retention(expired(date(2026, 3, 31)), KEEP, 3, vn(2026, 4, 10), actor=STAFF).subscription
    assert sub.retention_ends_at == start_of_local_day(date(2026, 7, 10))
    with pytest.raises(ValidationError):
        buy_retention(expired(date(2026, 3, 31)), KEEP, 25, vn(2026, 4, 10), actor=STAFF)
    with pytest.raises(ValidationError):
        buy_retention(expired(date(2026, 3, 31)), KEEP, 0, vn(2026, 4, 10), actor=STAFF)


def test_s5_more_retention_extends_a_running_archive() -> None:
    sub = buy_retention(expired(date(2026, 3, 31)), KEEP, 1, vn(2026, 4, 10), actor=STAFF).subscription
    sub = buy_retention(sub, KEEP, 2, vn(2026, 5, 1), actor=STAFF).subscription
    assert sub.retention_ends_at == start_of_local_day(date(2026, 7, 10))


def test_s5_end_of_archive_opens_a_fresh_purge_window() -> None:
    sub = buy_retention(expired(date(2026, 3, 31)), KEEP, 1, vn(2026, 4, 10), actor=STAFF).subscription
    run = run_due([sub], vn(2026, 5, 11))
    after = run.subscriptions[0]
    assert after.state is State.EXPIRED
    assert after.purge_at == start_of_local_day(date(2026, 6, 9))
    assert NoticeKind.RETENTION_ENDED in [n.kind for n in run.notices]
    assert access(after, vn(2026, 5, 11)) is Access.NONE
    assert advance(after, vn(2026, 6, 9)).subscription.state is State.PURGED


def test_s5_ensure_writable_judges_the_subscription_at_the_instant() -> None:
    sub = active(vn(2026, 1, 5))
    ensure_writable(sub, vn(2027, 1, 4, 23, 59))
    with pytest.raises(ReadOnlyError) as caught:
        ensure_writable(sub, vn(2027, 1, 5, 0, 0))  # the scheduler has not run; the term ended all the same
    assert caught.value.rule == "S4"


# S6: storage -----------------------------------------------------------------------------------------------


def test_s6_storage_top_up_while_time_remains() -> None:
    sub = active(vn(2026, 1, 5))
    out = top_up_storage(sub, STORAGE, 3, vn(2026, 6, 1), actor=CUSTOMER)
    assert out.subscription.extra_storage == 15
    assert kinds(out) == [NoticeKind.STORAGE_ADDED]
    assert out.subscription.terms == sub.terms


def test_s6_storage_top_up_refused_once_time_is_used_up() -> None:
    sub = active(vn(2026, 1, 5), MONTH)
    with pytest.raises(InvalidTransitionError):
        top_up_storage(sub, STORAGE, 1, vn(2026, 2, 5, 0, 0), actor=CUSTOMER)
    sub = receive_payment(sub, YEAR, vn(2026, 2, 4, 20), calendar=CALENDAR, actor=STAFF).subscription
    with pytest.raises(NotEligibleError, match="no time remains") as caught:
        top_up_storage(sub, STORAGE, 1, vn(2026, 2, 5, 8), actor=CUSTOMER)  # paid, but not activated yet
    assert caught.value.rule == "S6"


def test_s6_extra_storage_beyond_quota_only_on_enterprise_plans() -> None:
    with pytest.raises(NotEligibleError) as caught:
        Entitlement.of(PRODUCT, "STD", "1Y", extra_storage=50)
    assert caught.value.rule == "S6"
    sub = active(vn(2026, 1, 5))
    out = renew(sub, Entitlement.of(PRODUCT, "ENT", "1Y", extra_storage=50), vn(2026, 12, 1), actor=CUSTOMER)
    assert out.subscription.in_force(date(2027, 1, 5)).extra_storage == 50


def test_s11_storage_lasts_to_the_end_of_the_term_it_was_bought_for() -> None:
    sub = top_up_storage(active(vn(2026, 1, 5)), STORAGE, 2, vn(2026, 6, 1), actor=CUSTOMER).subscription
    same = renew(sub, YEAR, vn(2026, 12, 1), actor=CUSTOMER).subscription
    assert same.extra_storage == 10  # the current term keeps it
    assert advance(same, vn(2027, 1, 5)).subscription.extra_storage == 0  # the new term bought none
    enterprise = Entitlement.of(PRODUCT, "ENT", "1Y", extra_storage=50)
    switched = advance(renew(sub, enterprise, vn(2026, 12, 1), actor=CUSTOMER).subscription, vn(2027, 1, 5))
    assert switched.subscription.extra_storage == 50
    assert renew(sub, YEAR, vn(2027, 1, 10), actor=CUSTOMER).subscription.extra_storage == 0  # after expiry


def test_s6_top_up_refused_for_an_add_on_not_sold_with_the_plan() -> None:
    other = attrs.evolve(STORAGE, plans=frozenset({"ENT"}))
    with pytest.raises(NotEligibleError):
        top_up_storage(active(vn(2026, 1, 5)), other, 1, vn(2026, 6, 1), actor=CUSTOMER)


# S9: history -----------------------------------------------------------------------------------------------


def test_s9_every_change_records_what_when_who_and_why() -> None:
    sub = active(vn(2026, 1, 5))
    sub = top_up_storage(sub, STORAGE, 1, vn(2026, 6, 1), actor=CUSTOMER, reason="out of space").subscription
    entry = sub.history[-1]
    assert entry.event is Event.TOP_UP_STORAGE
    assert entry.at == vn(2026, 6, 1).astimezone(UTC)
    assert entry.actor == CUSTOMER
    assert entry.reason == "out of space"
    assert (entry.source, entry.target) == (State.ACTIVE, State.ACTIVE)
    assert sub.version == len(sub.history) == 2


def test_s9_history_is_append_only() -> None:
    sub = active(vn(2026, 1, 5))
    before = sub.history
    later = advance(renew(sub, YEAR, vn(2026, 12, 1), actor=CUSTOMER).subscription, vn(2029, 1, 1)).subscription
    assert later.history[: len(before)] == before
    assert sub.history == before
    assert all(a.at <= b.at for a, b in zip(later.history, later.history[1:], strict=False))


def test_s9_a_refused_change_leaves_no_trace() -> None:
    sub = active(vn(2026, 1, 5))
    with pytest.raises(SubscriptionError):
        buy_retention(sub, KEEP, 1, vn(2026, 6, 1), actor=STAFF)
    assert sub.version == 1
    assert len(sub.history) == 1


def test_s9_a_change_dated_before_the_last_one_is_refused() -> None:
    sub = active(vn(2026, 6, 1))
    with pytest.raises(ValidationError) as caught:
        top_up_storage(sub, STORAGE, 1, vn(2026, 5, 31), actor=CUSTOMER)
    assert caught.value.rule == "S9"


def test_s9_y3_money_recorded_late_keeps_the_history_in_order() -> None:
    sub = top_up_storage(active(vn(2026, 1, 5)), STORAGE, 1, vn(2026, 6, 2), actor=CUSTOMER).subscription
    sub = receive_payment(sub, YEAR, vn(2026, 6, 1, 15), calendar=CALENDAR, actor=STAFF).subscription
    entry = sub.history[-1]
    assert entry.at == vn(2026, 6, 2).astimezone(UTC)
    assert ("received_at", vn(2026, 6, 1, 15).astimezone(UTC).isoformat()) in entry.details
    assert sub.pending is not None
    assert sub.pending.activate_by == end_of_local_day(date(2026, 6, 2))


def test_y3_offline_new_purchase_records_its_activation_deadline() -> None:
    received = datetime(2027, 4, 30, 3, 0, tzinfo=UTC)  # Friday 30 April, a public holiday
    product = PRODUCT
    outcome = subscribe_offline(
        Opening(subscription_id="s-offline", customer_id="c-1", product=product),
        Entitlement.of(product, product.plans[0].code, product.plans[0].options[0].code),
        received,
        calendar=BusinessCalendar(),
        actor=Actor(kind=ActorKind.STAFF, id="staff-1"),
    )
    details = dict(outcome.subscription.history[-1].details)
    assert details["received_at"] == received.isoformat()
    assert details["activate_by"].startswith("2027-05-04T16:59:59")  # end of Tue 4 May in Hà Nội, in UTC
    assert dict(outcome.notices[0].details) == details
