"""The UnappliedMoneyRepository contract (Y6), run on every repository adapter (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscription_core import limits
from subscription_core.errors import ConflictError, NotFoundError, SubscriptionError
from subscription_core.money import Money
from subscription_core.payments import PaymentMethod
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.unapplied import UnappliedMoney, UnappliedReason, UnappliedState

from .builders import STAFF, at
from .racing import race
from .transactions import commit


def money(
    unapplied_id: str = "una-1",
    *,
    source: str = "vnpay",
    reference: str = "evt-1",
    customer_id: str | None = "cus-1",
    days: float = 0,
    amount: int = 6_000_000,
) -> UnappliedMoney:
    return UnappliedMoney(
        id=unapplied_id,
        source=source,
        reference=reference,
        amount=Money.of(amount, "VND"),
        received_at=at(days),
        recorded_at=at(days),
        reason=UnappliedReason.CANCELLED,
        note="order ord-1 was cancelled",
        method=PaymentMethod.e_wallet("VNPAY"),
        order_id="ord-1",
        customer_id=customer_id,
    )


def test_y6_added_record_reads_back_equal_by_id_and_by_reference(units: UnitOfWorkFactory) -> None:
    stored = money()
    with units() as uow:
        assert uow.unapplied.add(stored) is True
        uow.commit()
    with units() as uow:
        assert uow.unapplied.get("una-1") == stored
        assert uow.unapplied.by_reference("vnpay", "evt-1") == stored
        assert uow.unapplied.by_reference("vnpay", "evt-2") is None
        assert uow.unapplied.by_reference("statement", "evt-1") is None


def test_y6_the_same_source_and_reference_is_recorded_once(units: UnitOfWorkFactory) -> None:
    commit(units, lambda uow: uow.unapplied.add(money()))
    with units() as uow:
        assert uow.unapplied.add(money("una-2")) is False
        uow.commit()
    with units() as uow:
        assert uow.unapplied.listing(state=None) == [money()]
        with pytest.raises(NotFoundError):
            uow.unapplied.get("una-2")


def test_y6_an_id_already_stored_for_another_reference_is_a_conflict(units: UnitOfWorkFactory) -> None:
    commit(units, lambda uow: uow.unapplied.add(money()))
    with pytest.raises(ConflictError):
        commit(units, lambda uow: uow.unapplied.add(money(reference="evt-2")))


def test_y6_racing_records_of_one_reference_keep_one(units: UnitOfWorkFactory) -> None:
    def record(i: int) -> bool | SubscriptionError:
        try:
            with units() as uow:
                added = uow.unapplied.add(money(f"una-{i}"))
                uow.commit()
                return added
        except ConflictError as lost:
            return lost

    results = race(4, record)
    assert results.count(True) == 1
    with units() as uow:
        assert len(uow.unapplied.listing(state=None)) == 1


def test_y6_saved_record_is_versioned_and_listed_by_state(units: UnitOfWorkFactory) -> None:
    commit(units, lambda uow: uow.unapplied.add(money()))
    refunded = money().refund(reference="VCB-RF-1", at=at(1), by=STAFF, reason="gave it back")
    commit(units, lambda uow: uow.unapplied.save(refunded, expected_version=0))
    with units() as uow:
        assert uow.unapplied.get("una-1") == refunded
        assert uow.unapplied.listing(state=UnappliedState.OPEN) == []
        assert uow.unapplied.listing(state=UnappliedState.REFUNDED) == [refunded]
        with pytest.raises(ConflictError):
            uow.unapplied.save(attrs.evolve(refunded, version=2), expected_version=0)
        with pytest.raises(NotFoundError):
            uow.unapplied.save(money("una-404", reference="x"), expected_version=0)


def test_y6_listing_is_oldest_first_filtered_by_customer_and_limited(units: UnitOfWorkFactory) -> None:
    records = [
        money("una-c", reference="r-c", days=2),
        money("una-a", reference="r-a", days=0, customer_id="cus-2"),
        money("una-b", reference="r-b", days=1),
        money("una-d", reference="r-d", days=1, customer_id=None),
    ]
    commit(units, lambda uow: [uow.unapplied.add(r) for r in records])
    with units() as uow:
        assert [m.id for m in uow.unapplied.listing()] == ["una-a", "una-b", "una-d", "una-c"]
        assert [m.id for m in uow.unapplied.listing(customer_id="cus-1")] == ["una-b", "una-c"]
        assert [m.id for m in uow.unapplied.listing(limit=2)] == ["una-a", "una-b"]
        assert uow.unapplied.listing(limit=0) == []


def test_y6_an_uncommitted_record_is_not_kept(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.unapplied.add(money())
    with units() as uow:
        assert uow.unapplied.by_reference("vnpay", "evt-1") is None


NOTES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.integers(min_value=1, max_value=int(limits.MAX_AMOUNT)), note=NOTES)
def test_y6_any_amount_and_note_round_trip(units: UnitOfWorkFactory, amount: int, note: str) -> None:
    stored = attrs.evolve(money(reference=f"r-{amount}-{len(note)}", amount=amount), note=note)
    stored = attrs.evolve(stored, id=f"una-{amount}-{len(note)}")
    with units() as uow:
        if uow.unapplied.add(stored):
            uow.commit()
    with units() as uow:
        assert uow.unapplied.by_reference(stored.source, stored.reference) == stored
