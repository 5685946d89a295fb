"""The RefundRepository contract (Y8), run on every repository adapter (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import itertools

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscription_core import limits
from subscription_core.errors import ConflictError, NotFoundError, ValidationError
from subscription_core.money import Money
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.refunds import Refund, RefundKind, RefundMethod
from subscription_core.unapplied import UnappliedMoney, UnappliedReason

from .builders import STAFF, at
from .transactions import commit


def provider_refund(refund_id: str = "rf-1", *, days: float = 0, amount: int = 1_000_000, **more: str) -> Refund:
    targets: dict[str, str | None] = {"customer_id": "cus-1", "order_id": "ord-1", "unapplied_id": "una-1"}
    targets |= {"provider": "vnpay", "payment_reference": "14226112"}
    return Refund.request(
        id=refund_id,
        kind=RefundKind.UNAPPLIED,
        amount=Money.of(amount, "VND"),
        refundable=Money.of(limits.MAX_AMOUNT, "VND"),
        method=RefundMethod.PROVIDER,
        at=at(days),
        by=STAFF,
        reason="customer left",
        **(targets | more),
    )


def bank_refund(refund_id: str, *, days: float = 0, reference: str = "FT-1", **more: str) -> Refund:
    targets: dict[str, str | None] = {"customer_id": "cus-1", "subscription_id": "sub-1", "payment_id": "pay-1"}
    return Refund.request(
        id=refund_id,
        kind=RefundKind.UNUSED_TERM,
        amount=Money.of(870_968, "VND"),
        refundable=Money.of(1_000_000, "VND"),
        method=RefundMethod.BANK_TRANSFER,
        at=at(days),
        by=STAFF,
        reason="cancelled early",
        reference=reference,
        **(targets | more),
    )


def test_y8_added_refund_reads_back_equal(units: UnitOfWorkFactory) -> None:
    stored = provider_refund()
    commit(units, lambda uow: uow.refunds.add(stored))
    with units() as uow:
        assert uow.refunds.get("rf-1") == stored
        with pytest.raises(NotFoundError):
            uow.refunds.get("rf-404")


def test_y8_a_refund_id_is_stored_once(units: UnitOfWorkFactory) -> None:
    commit(units, lambda uow: uow.refunds.add(provider_refund()))
    with pytest.raises(ConflictError):
        commit(units, lambda uow: uow.refunds.add(provider_refund(amount=5)))
    with units() as uow:
        assert uow.refunds.get("rf-1").amount == Money.of(1_000_000, "VND")


def test_y8_settled_refund_is_versioned_and_found_by_its_reference(units: UnitOfWorkFactory) -> None:
    commit(units, lambda uow: uow.refunds.add(provider_refund()))
    done = provider_refund().succeed(at=at(1), reference="VNP-RF-1")
    commit(units, lambda uow: uow.refunds.save(done, expected_version=0))
    with units() as uow:
        assert uow.refunds.get("rf-1") == done
        assert uow.refunds.by_reference("VNP-RF-1") == [done]
        assert uow.refunds.by_reference("VNP-RF-2") == []
        with pytest.raises(ConflictError):
            uow.refunds.save(attrs.evolve(done, version=2), expected_version=0)
        with pytest.raises(NotFoundError):
            uow.refunds.save(provider_refund("rf-404"), expected_version=0)


def test_y8_refunds_are_listed_by_order_customer_and_payment_oldest_first(units: UnitOfWorkFactory) -> None:
    refunds = [
        provider_refund("rf-c", days=2),
        provider_refund("rf-a", days=0, customer_id="cus-2", order_id="ord-2"),
        bank_refund("rf-b", days=1),
        bank_refund("rf-d", days=1, payment_id="pay-2"),
    ]
    with units() as uow:
        for refund in refunds:
            uow.refunds.add(refund)
        uow.commit()
    with units() as uow:
        assert [r.id for r in uow.refunds.of_customer("cus-1")] == ["rf-b", "rf-d", "rf-c"]
        assert [r.id for r in uow.refunds.of_order("ord-1")] == ["rf-c"]
        assert [r.id for r in uow.refunds.of_payment("pay-1")] == ["rf-b"]
        assert [r.id for r in uow.refunds.by_reference("FT-1")] == ["rf-b", "rf-d"]
        assert uow.refunds.of_customer("cus-404") == []


def test_y8_refunds_still_requested_are_listed_in_pages_oldest_first(units: UnitOfWorkFactory) -> None:
    refunds = [
        provider_refund("rf-c", days=2),
        provider_refund("rf-a", days=1),
        bank_refund("rf-b", days=1),
        provider_refund("rf-done", days=0).succeed(at=at(3), reference="VNP1"),
        bank_refund("rf-e", days=4),
    ]
    with units() as uow:
        for refund in refunds:
            uow.refunds.add(refund)
        uow.commit()
    with units() as uow:
        assert [r.id for r in uow.refunds.requested()] == ["rf-a", "rf-b", "rf-c", "rf-e"]
        first = uow.refunds.requested(limit=2)
        assert [r.id for r in first] == ["rf-a", "rf-b"]
        after = (first[-1].requested_at, first[-1].id)
        assert [r.id for r in uow.refunds.requested(after=after, limit=2)] == ["rf-c", "rf-e"]
        assert uow.refunds.requested(after=(at(4), "rf-e")) == []
        with pytest.raises(ValidationError):
            uow.refunds.requested(limit=-1)


def test_y8_an_uncommitted_refund_is_not_kept(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.refunds.add(provider_refund())
    with units() as uow, pytest.raises(NotFoundError):
        uow.refunds.get("rf-1")


def test_y8_unapplied_money_keeps_its_refund_totals(units: UnitOfWorkFactory) -> None:
    held = UnappliedMoney(
        id="una-1",
        source="vnpay",
        reference="evt-1",
        amount=Money.of(6_000_000, "VND"),
        received_at=at(0),
        recorded_at=at(0),
        reason=UnappliedReason.LAPSED,
    )
    commit(units, lambda uow: uow.unapplied.add(held))
    reserved = held.reserve_refund(Money.of(2_000_000, "VND"))
    commit(units, lambda uow: uow.unapplied.save(reserved, expected_version=0))
    with units() as uow:
        assert uow.unapplied.get("una-1") == reserved
        assert uow.unapplied.get("una-1").remaining == Money.of(4_000_000, "VND")


_SERIAL = itertools.count()  # a fresh id per example: the store outlives hypothesis's examples
REASONS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(str.strip)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.integers(min_value=1, max_value=int(limits.MAX_AMOUNT)), reason=REASONS)
def test_y8_any_amount_and_reason_round_trip(units: UnitOfWorkFactory, amount: int, reason: str) -> None:
    stored = attrs.evolve(provider_refund(f"rf-{next(_SERIAL)}", amount=amount), reason=reason.strip())
    with units() as uow:
        uow.refunds.add(stored)
        uow.commit()
    with units() as uow:
        assert uow.refunds.get(stored.id) == stored
