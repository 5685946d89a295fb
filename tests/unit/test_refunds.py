"""Refunds as domain values (Y8): their transitions, their limits, and the unused part of a cancelled term."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.customers import Actor
from subscription_core.errors import (
    CurrencyMismatchError,
    InvalidTransitionError,
    PermissionDeniedError,
    ValidationError,
)
from subscription_core.money import Money
from subscription_core.quotes import Proration
from subscription_core.refunds import (
    REFUND_TRANSITIONS,
    Refund,
    RefundKind,
    RefundMethod,
    RefundState,
    check_refundable,
    mermaid_refund_flow,
    refunded_total,
    unused_days,
    unused_part,
)
from subscription_core.terms import Term
from subscription_core.unapplied import UnappliedMoney, UnappliedReason, UnappliedState

T0 = dt.datetime(2027, 1, 4, 2, 0, tzinfo=dt.UTC)  # 09:00 on Jan 4 in Ho Chi Minh City
STAFF = Actor.staff("st-1")
VND = "VND"


def requested(amount: int = 1_000_000, **changes: object) -> Refund:
    fields: dict[str, object] = {
        "id": "rf-1",
        "kind": RefundKind.UNAPPLIED,
        "amount": Money.of(amount, VND),
        "refundable": Money.of(6_000_000, VND),
        "method": RefundMethod.PROVIDER,
        "at": T0,
        "by": STAFF,
        "reason": "customer left",
        "unapplied_id": "una-1",
        "provider": "vnpay",
        "payment_reference": "14226112",
    }
    return Refund.request(**(fields | changes))  # type: ignore[arg-type]


def held(**changes: object) -> UnappliedMoney:
    fields: dict[str, object] = {
        "id": "una-1",
        "source": "vnpay",
        "reference": "evt-1",
        "amount": Money.of(6_000_000, VND),
        "received_at": T0,
        "recorded_at": T0,
        "reason": UnappliedReason.LAPSED,
        "customer_id": "cus-1",
    }
    return UnappliedMoney(**(fields | changes))  # type: ignore[arg-type]


def test_y8_a_requested_refund_keeps_actor_reason_and_references() -> None:
    refund = requested()
    assert (refund.state, refund.requested_by, refund.reason, refund.payment_reference) == (
        RefundState.REQUESTED,
        STAFF,
        "customer left",
        "14226112",
    )
    done = refund.succeed(at=T0, reference="VNP-RF-9")
    assert (done.state, done.reference, done.settled_at, done.version) == (RefundState.SUCCEEDED, "VNP-RF-9", T0, 1)


def test_y8_a_refund_is_settled_once() -> None:
    failed = requested().fail(at=T0, failure="card closed")
    assert (failed.state, failed.failure, failed.outstanding) == (RefundState.FAILED, "card closed", False)
    with pytest.raises(InvalidTransitionError) as caught:
        failed.succeed(at=T0)
    assert caught.value.rule == "Y8"
    with pytest.raises(InvalidTransitionError):
        failed.fail(at=T0, failure="again")


def test_y8_only_staff_refund_and_they_give_a_reason() -> None:
    with pytest.raises(PermissionDeniedError) as denied:
        requested(by=Actor.customer_user("u-1", "cus-1"))
    assert denied.value.rule == "A2"
    with pytest.raises(ValidationError) as blank:
        requested(reason="  ")
    assert (blank.value.rule, blank.value.field) == ("Y8", "reason")


def test_y8_a_refund_is_above_zero_and_within_what_is_refundable() -> None:
    with pytest.raises(ValidationError, match="refundable"):
        requested(amount=6_000_001)
    with pytest.raises(ValidationError, match="above zero"):
        requested(amount=0)
    with pytest.raises(CurrencyMismatchError):
        check_refundable(Money.of(5, "USD"), Money.of(6_000_000, VND))
    assert requested(amount=6_000_000).amount == Money.of(6_000_000, VND)


def test_y8_each_method_carries_its_references() -> None:
    with pytest.raises(ValidationError) as provider:
        requested(payment_reference=None)
    assert provider.value.field == "provider"
    with pytest.raises(ValidationError) as bank:
        requested(method=RefundMethod.BANK_TRANSFER, provider=None, payment_reference=None)
    assert bank.value.field == "reference"
    transfer = requested(method=RefundMethod.BANK_TRANSFER, provider=None, payment_reference=None, reference="FT1")
    assert transfer.reference == "FT1"
    with pytest.raises(ValidationError) as unknown:
        requested(colour="red")
    assert unknown.value.field == "colour"


def test_y8_the_refund_diagram_draws_every_transition() -> None:
    diagram = mermaid_refund_flow()
    for (source, event), target in REFUND_TRANSITIONS.items():
        assert f"{source.value} --> {target.value} : {event.value}" in diagram


def test_y8_failed_refunds_do_not_count_against_what_is_refundable() -> None:
    refunds = [requested(), requested(2_000_000).fail(at=T0, failure="refused"), requested(500_000).succeed(at=T0)]
    assert refunded_total(refunds, Money.of(1, VND).currency) == Money.of(1_500_000, VND)


# The unused part of a cancelled term: whole unused days pro rata, rounded half-up, as S6 prorates.
JAN = Term(start=dt.date(2027, 1, 1), end=dt.date(2027, 2, 1))  # 31 days


def test_y8_whole_unused_days_start_the_day_after_the_cancellation() -> None:
    assert unused_days(JAN, T0) == 27  # Jan 4 was begun; Jan 5..31 are unused
    assert unused_days(JAN, dt.datetime(2026, 12, 20, tzinfo=dt.UTC)) == 31  # not yet begun
    assert unused_days(JAN, dt.datetime(2027, 1, 31, 16, 59, tzinfo=dt.UTC)) == 0  # 23:59 on its last day
    assert unused_days(JAN, dt.datetime(2027, 3, 1, tzinfo=dt.UTC)) == 0


def test_y8_worked_example_unused_part_rounds_half_up() -> None:
    # 1 000 000 x 27 / 31 = 870 967.74... -> 870 968
    assert unused_part(Money.of(1_000_000, VND), JAN, T0) == Money.of(870_968, VND)
    # 10.00 USD x 27 / 31 = 8.709... -> 8.71
    assert unused_part(Money.of("10.00", "USD"), JAN, T0) == Money.of("8.71", "USD")
    # 31 x 1 / 2 = 15.5 -> 16 (half-up): a two-day term cancelled on its first day
    two = Term(start=dt.date(2027, 1, 4), end=dt.date(2027, 1, 6))
    assert unused_part(Money.of(31, VND), two, T0) == Money.of(16, VND)


@given(
    units=st.integers(0, 10**12),
    days=st.integers(1, 400),
    offset=st.integers(-10, 420),
)
def test_y8_unused_part_is_the_s6_proration_never_more_than_the_price(units: int, days: int, offset: int) -> None:
    term = Term(start=dt.date(2027, 1, 1), end=dt.date(2027, 1, 1) + dt.timedelta(days=days))
    at = dt.datetime(2027, 1, 1, 5, tzinfo=dt.UTC) + dt.timedelta(days=offset)
    price = Money.of(units, VND)
    part = unused_part(price, term, at)
    left = unused_days(term, at)
    assert part == Money.of(Proration(days_left=left, term_days=days).share(units), VND)
    assert Money.zero(VND) <= part <= price
    if left == days:
        assert part == price


def test_y8_refunding_unapplied_money_lowers_what_remains_and_closes_it_once_refunded_whole() -> None:
    money = held()
    reserved = money.reserve_refund(Money.of(2_000_000, VND))
    assert reserved.remaining == Money.of(4_000_000, VND)
    failed = reserved.settle_refund(Money.of(2_000_000, VND), succeeded=False, refund_id="rf-1", at=T0, by=STAFF)
    assert (failed.remaining, failed.state) == (Money.of(6_000_000, VND), UnappliedState.OPEN)
    whole = failed.reserve_refund(Money.of(6_000_000, VND))
    closed = whole.settle_refund(Money.of(6_000_000, VND), succeeded=True, refund_id="rf-2", at=T0, by=STAFF)
    assert (closed.state, closed.refund_reference, closed.remaining) == (
        UnappliedState.REFUNDED,
        "rf-2",
        Money.zero(VND),
    )
    assert closed.version == whole.version + 1
    with pytest.raises(InvalidTransitionError):
        closed.reserve_refund(Money.of(1, VND))


def test_y8_unapplied_money_with_refunds_is_never_applied_or_closed_whole() -> None:
    reserved = held().reserve_refund(Money.of(1, VND))
    with pytest.raises(InvalidTransitionError) as caught:
        reserved.refund(reference="VCB-1", at=T0, by=STAFF, reason="closing")
    assert caught.value.rule == "Y8"
    with pytest.raises(ValidationError, match="refundable"):
        reserved.reserve_refund(Money.of(6_000_000, VND))
    with pytest.raises(ValidationError):
        reserved.settle_refund(Money.of(2, VND), succeeded=True, refund_id="rf-1", at=T0, by=STAFF)


@given(st.lists(st.tuples(st.integers(1, 3_000_000), st.sampled_from(["ok", "fail", "open"])), max_size=12))
def test_y8_refunded_money_never_exceeds_money_received(steps: list[tuple[int, str]]) -> None:
    money = held()
    for amount, outcome in steps:
        want = Money.of(amount, VND)
        if want > money.remaining or not money.is_open:
            with pytest.raises((ValidationError, InvalidTransitionError)):
                money.reserve_refund(want)
            continue
        money = money.reserve_refund(want)
        if outcome != "open":
            money = money.settle_refund(want, succeeded=outcome == "ok", refund_id="rf", at=T0, by=STAFF)
        assert money.refunding + money.refunded + money.remaining == money.amount
        assert money.remaining >= Money.zero(VND)


def test_y8_docs_refund_diagram_is_the_generated_one() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "money.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{mermaid_refund_flow()}```" in text, "docs/money.md is stale: paste mermaid_refund_flow()"
