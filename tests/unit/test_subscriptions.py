"""The subscription entity and its values: states, entitlements, anchors, commitments, deadlines, resource view."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from subscription_core.calendar import VIETNAM_TZ, start_of_local_day
from subscription_core.catalog import Cycle, CycleUnit, Plan, PricingOption, Product, Quota
from subscription_core.entitlements import COMMITMENT_LIMIT_DAYS, Anchor, Commitment, CommitmentProof, Entitlement
from subscription_core.errors import NotEligibleError, NotFoundError, ValidationError
from subscription_core.lifecycle import subscribe
from subscription_core.money import Money
from subscription_core.resources import QuotaLine, resource_view
from subscription_core.subscriptions import Actor, ActorKind, LifecyclePolicy, Opening, State, Subscription
from subscription_core.tax import VatSchedule
from subscription_core.terms import Term, TermUnit

KCT = VatSchedule.flat("KCT")
YEARLY = PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=Money.of(2_000_000, "VND"))
HALF = PricingOption(code="6M", cycle=Cycle(CycleUnit.MONTH, 6), price=Money.of(1_100_000, "VND"), cycles=1)
STANDARD = Plan(
    code="STD",
    name="Standard",
    options=[YEARLY, HALF],
    vat=KCT,
    quotas=[Quota(code="storage", amount=10, unit="GB"), Quota(code="seats", amount=5, unit="users")],
)
ENTERPRISE = Plan(
    code="ENT",
    name="Enterprise",
    options=[YEARLY],
    vat=KCT,
    quotas=[Quota(code="storage", amount=100, unit="GB")],
    enterprise=True,
)
PRODUCT = Product(code="AMIS", name="AMIS", plans=[STANDARD, ENTERPRISE], purge_after_days=45, warning_days=(10, 2))
BUYER = Actor(kind=ActorKind.CUSTOMER, id="admin@cty.vn")


def active(entitlement: Entitlement, sid: str = "sub-1") -> Subscription:
    opening = Opening(subscription_id=sid, customer_id="0101243150", product=PRODUCT)
    return subscribe(opening, entitlement, datetime(2026, 1, 31, 10, tzinfo=VIETNAM_TZ), actor=BUYER).subscription


def test_s1_every_state_of_the_rule_is_modelled() -> None:
    assert {s.value for s in State} == {
        "trial",
        "awaiting_activation",
        "active",
        "active_on_commitment",
        "expired",
        "read_only",
        "purged",
        "cut_off",
        "cancelled",
    }


def test_s2_entitlement_of_a_pricing_option() -> None:
    entitlement = Entitlement.of(PRODUCT, "STD", "6M")
    assert (entitlement.plan_code, entitlement.unit, entitlement.length) == ("STD", TermUnit.MONTH, 6)
    assert entitlement.quotas == STANDARD.quotas
    with pytest.raises(NotFoundError):
        Entitlement.of(PRODUCT, "NOPE", "1Y")
    with pytest.raises(NotFoundError):
        Entitlement.of(PRODUCT, "ENT", "6M")


def test_s2_d3_anchor_keeps_its_day_and_re_anchors_on_a_change_of_unit() -> None:
    anchor = Anchor.starting(date(2026, 1, 31), TermUnit.MONTH, 1)
    assert anchor.end == date(2026, 2, 28)
    assert anchor.extended(TermUnit.MONTH, 1).end == date(2026, 3, 31)
    assert anchor.extended(TermUnit.YEAR, 1) == Anchor(day=date(2026, 1, 31), unit=TermUnit.MONTH, count=13)
    by_days = anchor.extended(TermUnit.DAY, 10)
    assert (by_days.day, by_days.end) == (date(2026, 2, 28), date(2026, 3, 10))


def test_s3_s4_policy_frozen_from_the_product() -> None:
    sub = active(Entitlement.of(PRODUCT, "STD", "1Y"))
    assert sub.policy == LifecyclePolicy(purge_after_days=45, warning_days=(10, 2), due_warning_days=(7, 3, 1))
    with pytest.raises(ValidationError) as caught:
        LifecyclePolicy(warning_days=(7, 0))
    assert caught.value.rule == "S3"
    with pytest.raises(ValidationError):
        LifecyclePolicy(purge_after_days=0)


def test_s3_next_due_at_is_the_first_warning() -> None:
    sub = active(Entitlement.of(PRODUCT, "STD", "1Y"))  # expires 00:00 on 31 January 2027
    assert sub.expires_at == start_of_local_day(date(2027, 1, 31))
    assert sub.last_day == date(2027, 1, 30)
    assert sub.next_due_at == start_of_local_day(date(2027, 1, 21))
    assert sub.next_due_at is not None
    assert sub.next_due_at.tzinfo is UTC


def test_s6_extra_storage_only_with_an_enterprise_plan() -> None:
    with pytest.raises(NotEligibleError) as caught:
        Entitlement.of(PRODUCT, "STD", "1Y", extra_storage=20)
    assert caught.value.rule == "S6"
    assert Entitlement.of(PRODUCT, "ENT", "1Y", extra_storage=20).extra_storage == 20


def test_s7_resource_view_shows_each_quota_and_the_expiry() -> None:
    sub = active(Entitlement.of(PRODUCT, "STD", "1Y"))
    view = resource_view(sub, {"storage": 7, "seats": 5})
    assert view.quotas == (
        QuotaLine(code="storage", unit="GB", granted=10, used=7),
        QuotaLine(code="seats", unit="users", granted=5, used=5),
    )
    assert view.quotas[0].remaining == 3
    assert (view.state, view.plan_code, view.last_day) == (State.ACTIVE, "STD", date(2027, 1, 30))


def test_s7_s6_extra_storage_counts_in_the_storage_quota() -> None:
    sub = active(Entitlement.of(PRODUCT, "ENT", "1Y", extra_storage=50))
    (storage,) = resource_view(sub, {"storage": 120}).quotas
    assert (storage.granted, storage.used, storage.remaining) == (150, 120, 30)


def test_s7_a_use_over_the_quota_shows_nothing_remaining() -> None:
    sub = active(Entitlement.of(PRODUCT, "STD", "1Y"))
    assert resource_view(sub, {"seats": 9}).quotas[1].remaining == 0
    with pytest.raises(ValidationError) as caught:
        resource_view(sub, {"seats": -1})
    assert caught.value.rule == "S7"


def test_s8_a_company_holds_any_number_of_subscriptions() -> None:
    first = active(Entitlement.of(PRODUCT, "STD", "1Y"), "sub-1")
    second = active(Entitlement.of(PRODUCT, "ENT", "1Y"), "sub-2")
    assert first.customer_id == second.customer_id
    assert (first.id, second.id) == ("sub-1", "sub-2")
    assert first.plan_code != second.plan_code


def test_s8_opening_refuses_empty_ids() -> None:
    with pytest.raises(ValidationError):
        Opening(subscription_id=" ", customer_id="0101243150", product=PRODUCT)


def _commitment(registered: datetime, *due_dates: date) -> Commitment:
    entitlement = Entitlement.of(PRODUCT, "STD", "1Y")
    anchor = Anchor.starting(date(2027, 1, 31), TermUnit.YEAR, 1)
    term = Term(start=date(2027, 1, 31), end=anchor.end)
    return Commitment(registered_at=registered, entitlement=entitlement, term=term, anchor=anchor, due_dates=due_dates)


def test_k3_commitment_due_dates_are_bounded_by_construction() -> None:
    registered = datetime(2027, 1, 20, 23, 30, tzinfo=VIETNAM_TZ)
    limit = date(2027, 1, 20) + timedelta(days=COMMITMENT_LIMIT_DAYS)
    assert _commitment(registered, date(2027, 1, 21), limit).limit == limit
    for due_dates in ((date(2027, 1, 20),), (limit + timedelta(days=1),), (limit, limit), ()):
        with pytest.raises(NotEligibleError) as caught:
            _commitment(registered, *due_dates)
        assert caught.value.rule == "K3"
    with pytest.raises(NotEligibleError, match="no third"):
        _commitment(registered, date(2027, 2, 1), date(2027, 3, 1), date(2027, 4, 1))


def test_k3_registration_date_is_the_local_date() -> None:
    registered = datetime(2027, 1, 20, 17, 30, tzinfo=UTC)  # already 21 January in Vietnam
    with pytest.raises(NotEligibleError):
        _commitment(registered, date(2027, 1, 21))
    assert _commitment(registered, date(2027, 1, 22)).due_on == date(2027, 1, 22)


def test_k2_payment_proof_needs_content_and_attachment() -> None:
    at = datetime(2027, 1, 20, tzinfo=UTC)
    with pytest.raises(ValidationError):
        CommitmentProof(submitted_at=at, transfer_content="", attachment="a.png")
    with pytest.raises(ValidationError) as caught:
        CommitmentProof(submitted_at=datetime(2027, 1, 20), transfer_content="x", attachment="a.png")  # noqa: DTZ001
    assert caught.value.rule == "D2"


def test_s9_history_starts_with_the_creation() -> None:
    sub = active(Entitlement.of(PRODUCT, "STD", "1Y"))
    (entry,) = sub.history
    assert (entry.source, entry.target, entry.actor, entry.reason) == (None, State.ACTIVE, BUYER, "paid online")
    assert sub.version == 1
