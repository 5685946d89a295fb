"""Renewals on a commitment to pay later: registration, warnings, proof, second commitment, cut-off (K1-K5)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from subscription_core.calendar import VIETNAM_TZ, start_of_local_day
from subscription_core.catalog import Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.commitments import (
    commit_to_pay,
    default_renewal,
    extend_commitment,
    reject_proof,
    submit_proof,
    verify_payment,
)
from subscription_core.entitlements import Entitlement
from subscription_core.errors import InvalidTransitionError, NotEligibleError, ValidationError
from subscription_core.lifecycle import NoticeKind, advance, start_trial, subscribe
from subscription_core.money import Money
from subscription_core.renewals import renew
from subscription_core.retention import Access, access, ensure_writable
from subscription_core.scheduling import run_due
from subscription_core.subscriptions import Actor, ActorKind, Event, Opening, State, Subscription
from subscription_core.tax import VatSchedule

PLAN = Plan(
    code="QLTS",
    name="QLTS",
    options=[PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(5_000_000, "VND"))],
    vat=VatSchedule.flat("KCT"),
    quotas=[Quota(code="assets", amount=1000)],
    trial_days=30,
)
PRODUCT = Product(code="MISA-QLTS", name="MISA QLTS", plans=[PLAN])
UNIT = Actor(kind=ActorKind.CUSTOMER, id="ke-toan-truong")
STAFF = Actor(kind=ActorKind.STAFF, id="staff-7")
YEAR = Entitlement.of(PRODUCT, "QLTS", "1Y")


def vn(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=VIETNAM_TZ)


def paid(start: datetime) -> Subscription:
    opening = Opening(subscription_id="qlts-1", customer_id="0100109106", product=PRODUCT)
    return subscribe(opening, YEAR, start, actor=UNIT).subscription


def on_commitment(due_on: date = date(2027, 2, 15), at: datetime | None = None) -> Subscription:
    """Paid from 5 Jan 2026 (expires 00:00 on 5 Jan 2027), renewed on commitment on 20 Dec 2026."""
    at = at or vn(2026, 12, 20)
    return commit_to_pay(paid(vn(2026, 1, 5)), at, due_on=due_on, pledged=True, actor=UNIT).subscription


def test_k1_renewal_on_commitment_defaults_to_one_year() -> None:
    out = commit_to_pay(paid(vn(2026, 1, 5)), vn(2026, 12, 20), due_on=date(2027, 2, 15), pledged=True, actor=UNIT)
    sub = out.subscription
    assert sub.state is State.ACTIVE_ON_COMMITMENT
    assert sub.commitment is not None
    assert sub.commitment.entitlement == default_renewal(paid(vn(2026, 1, 5)))
    assert (sub.commitment.term.start, sub.commitment.term.end) == (date(2027, 1, 5), date(2028, 1, 5))
    assert sub.terms == paid(vn(2026, 1, 5)).terms  # not official yet
    assert [n.kind for n in out.notices] == [NoticeKind.EXPIRING_SOON, NoticeKind.COMMITMENT_REGISTERED]


def test_k1_usage_continues_until_the_committed_date() -> None:
    sub = on_commitment(due_on=date(2027, 2, 15))
    ensure_writable(sub, vn(2027, 1, 20))  # past the paid expiry of 5 January
    ensure_writable(sub, vn(2027, 2, 15, 23))
    assert access(sub, vn(2027, 2, 16, 0)) is Access.NONE
    assert sub.cut_off_at == start_of_local_day(date(2027, 2, 16))


def test_k1_the_buyer_must_commit_to_pay_on_time() -> None:
    with pytest.raises(ValidationError) as caught:
        commit_to_pay(paid(vn(2026, 1, 5)), vn(2026, 12, 20), due_on=date(2027, 2, 15), pledged=False, actor=UNIT)
    assert caught.value.rule == "K1"


def test_k1_registered_after_expiry_term_starts_on_registration() -> None:
    sub = commit_to_pay(paid(vn(2026, 1, 5)), vn(2027, 1, 20), due_on=date(2027, 3, 1), pledged=True, actor=UNIT)
    commitment = sub.subscription.commitment
    assert commitment is not None
    assert (commitment.term.start, commitment.term.end) == (date(2027, 1, 20), date(2028, 1, 20))
    assert [e.event for e in sub.subscription.history] == [Event.SUBSCRIBE, Event.EXPIRE, Event.COMMIT_TO_PAY]


def test_k1_only_paid_subscriptions_renew_on_commitment() -> None:
    opening = Opening(subscription_id="trial-1", customer_id="0100109106", product=PRODUCT)
    trial = start_trial(opening, PLAN, vn(2026, 1, 5), actor=UNIT).subscription
    with pytest.raises(InvalidTransitionError):
        commit_to_pay(trial, vn(2026, 1, 10), due_on=date(2026, 3, 1), pledged=True, actor=UNIT)
    with pytest.raises(NotEligibleError) as caught:  # the trial has expired, but was never paid for
        commit_to_pay(trial, vn(2026, 2, 10), due_on=date(2026, 3, 1), pledged=True, actor=UNIT)
    assert caught.value.rule == "K1"


@pytest.mark.parametrize("due_on", [date(2026, 12, 20), date(2026, 12, 19)])
def test_k3_first_due_date_after_registration(due_on: date) -> None:
    with pytest.raises(NotEligibleError) as caught:
        on_commitment(due_on=due_on)
    assert caught.value.rule == "K3"


def test_k3_first_due_date_capped_at_180_days() -> None:
    registered = date(2026, 12, 20)
    assert on_commitment(due_on=registered + timedelta(days=180)).state is State.ACTIVE_ON_COMMITMENT
    with pytest.raises(NotEligibleError, match=r"2027-06-18 \(registration \+ 180 days\)"):
        on_commitment(due_on=registered + timedelta(days=181))


def test_k3_second_commitment_capped_at_180_days() -> None:
    sub = on_commitment(due_on=date(2027, 2, 15))
    limit = date(2026, 12, 20) + timedelta(days=180)
    with pytest.raises(NotEligibleError) as caught:
        extend_commitment(sub, vn(2027, 2, 10), due_on=limit + timedelta(days=1), pledged=True, actor=UNIT)
    assert caught.value.rule == "K3"
    out = extend_commitment(sub, vn(2027, 2, 10), due_on=limit, pledged=True, actor=UNIT)
    assert out.subscription.commitment is not None
    assert out.subscription.commitment.due_dates == (date(2027, 2, 15), limit)
    assert out.subscription.cut_off_at == start_of_local_day(limit + timedelta(days=1))
    assert [n.kind for n in out.notices][-1] is NoticeKind.COMMITMENT_EXTENDED


def test_k3_second_due_date_after_the_first() -> None:
    sub = on_commitment(due_on=date(2027, 2, 15))
    with pytest.raises(NotEligibleError) as caught:
        extend_commitment(sub, vn(2027, 2, 10), due_on=date(2027, 2, 15), pledged=True, actor=UNIT)
    assert caught.value.rule == "K3"


def test_k3_no_third_commitment() -> None:
    sub = on_commitment(due_on=date(2027, 2, 15))
    sub = extend_commitment(sub, vn(2027, 2, 10), due_on=date(2027, 4, 1), pledged=True, actor=UNIT).subscription
    with pytest.raises(NotEligibleError, match="no third") as caught:
        extend_commitment(sub, vn(2027, 3, 25), due_on=date(2027, 5, 1), pledged=True, actor=UNIT)
    assert caught.value.rule == "K3"


def test_k2_warnings_before_the_due_date() -> None:
    sub = on_commitment(due_on=date(2027, 2, 15), at=vn(2027, 1, 20))
    sent = []
    for offset in range(30):
        day = date(2027, 1, 21) + timedelta(days=offset)
        run = run_due([sub], vn(day.year, day.month, day.day, 8))
        sent += [(n.kind, n.at.astimezone(VIETNAM_TZ).date()) for n in run.notices]
        sub = run.subscriptions[0] if run.subscriptions else sub
    assert sent == [
        (NoticeKind.COMMITMENT_DUE, date(2027, 2, 9)),
        (NoticeKind.COMMITMENT_DUE, date(2027, 2, 13)),
        (NoticeKind.COMMITMENT_DUE, date(2027, 2, 15)),
        (NoticeKind.CUT_OFF, date(2027, 2, 16)),
    ]


def test_k2_y4_proof_of_payment_awaits_staff_verification() -> None:
    sub = on_commitment()
    out = submit_proof(
        sub, vn(2027, 2, 1), transfer_content="QLTS 0100109106 gia han", attachment="giay-rut.jpg", actor=UNIT
    )
    sub = out.subscription
    assert sub.state is State.ACTIVE_ON_COMMITMENT
    assert sub.commitment is not None
    assert sub.commitment.proof is not None
    assert [n.kind for n in out.notices][-1] is NoticeKind.PROOF_SUBMITTED
    with pytest.raises(NotEligibleError):
        submit_proof(sub, vn(2027, 2, 2), transfer_content="again", attachment="x.jpg", actor=UNIT)


def test_k4_cut_off_when_unpaid_at_the_last_due_date() -> None:
    sub = on_commitment(due_on=date(2027, 2, 15))
    assert advance(sub, vn(2027, 2, 15, 23)).subscription.state is State.ACTIVE_ON_COMMITMENT
    out = advance(sub, start_of_local_day(date(2027, 2, 16)))
    cut = out.subscription
    assert cut.state is State.CUT_OFF
    assert cut.history[-1].reason == "unpaid at the last due date"
    assert cut.history[-1].actor == Actor.scheduler()
    assert cut.purge_at == start_of_local_day(date(2027, 3, 18))
    assert [n.kind for n in out.notices][-1] is NoticeKind.CUT_OFF
    with pytest.raises(InvalidTransitionError):
        verify_payment(cut, vn(2027, 2, 17), actor=STAFF)


def test_k4_cut_off_at_the_second_due_date() -> None:
    sub = on_commitment(due_on=date(2027, 2, 15))
    sub = extend_commitment(sub, vn(2027, 2, 10), due_on=date(2027, 4, 1), pledged=True, actor=UNIT).subscription
    assert advance(sub, vn(2027, 3, 1)).subscription.state is State.ACTIVE_ON_COMMITMENT
    assert advance(sub, vn(2027, 4, 2)).subscription.state is State.CUT_OFF


def test_k4_a_proof_awaiting_verification_holds_the_cut_off() -> None:
    sub = on_commitment(due_on=date(2027, 2, 15))
    sub = submit_proof(sub, vn(2027, 2, 14), transfer_content="QLTS", attachment="unc.png", actor=UNIT).subscription
    assert sub.next_due_at is None
    assert advance(sub, vn(2027, 3, 1)).subscription.state is State.ACTIVE_ON_COMMITMENT
    out = reject_proof(sub, vn(2027, 3, 1), actor=STAFF, reason="no such transfer on the statement")
    assert out.subscription.state is State.ACTIVE_ON_COMMITMENT
    cut = advance(out.subscription, vn(2027, 3, 1, 10)).subscription
    assert cut.state is State.CUT_OFF
    assert cut.history[-1].at == vn(2027, 3, 1)  # at the rejection, never before it


def test_k4_an_early_due_date_never_shortens_paid_time() -> None:
    sub = on_commitment(due_on=date(2026, 12, 28), at=vn(2026, 12, 10))  # paid until 5 January
    assert sub.cut_off_at == start_of_local_day(date(2027, 1, 5))
    assert advance(sub, vn(2027, 1, 4)).subscription.state is State.ACTIVE_ON_COMMITMENT
    assert advance(sub, vn(2027, 1, 5, 0)).subscription.state is State.CUT_OFF


def test_k4_cut_off_subscription_may_still_renew_later() -> None:
    cut = advance(on_commitment(due_on=date(2027, 2, 15)), vn(2027, 2, 20)).subscription
    sub = renew(cut, YEAR, vn(2027, 3, 1), actor=UNIT).subscription
    assert sub.state is State.ACTIVE
    assert sub.terms[-1].start == date(2027, 3, 1)


def test_k5_verified_payment_makes_the_renewal_official_and_tells_the_term() -> None:
    sub = on_commitment(due_on=date(2027, 2, 15))
    sub = submit_proof(sub, vn(2027, 2, 1), transfer_content="QLTS", attachment="unc.png", actor=UNIT).subscription
    out = verify_payment(sub, vn(2027, 2, 3), actor=STAFF)
    sub = out.subscription
    assert sub.state is State.ACTIVE
    assert sub.commitment is None
    assert (sub.terms[-1].start, sub.terms[-1].end) == (date(2027, 1, 5), date(2028, 1, 5))
    assert sub.terms[-2].end == sub.terms[-1].start
    (notice,) = out.notices
    assert notice.kind is NoticeKind.RENEWAL_OFFICIAL
    assert dict(notice.details) == {"plan": "QLTS", "term_start": "2027-01-05", "term_end": "2028-01-05"}
    assert sub.history[-1].actor == STAFF


def test_k5_verified_without_proof_when_staff_saw_the_money() -> None:
    sub = verify_payment(on_commitment(), vn(2027, 1, 10), actor=STAFF).subscription
    assert sub.state is State.ACTIVE
    assert sub.expires_at == start_of_local_day(date(2028, 1, 5))
