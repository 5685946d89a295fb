"""The SubscriptionRepository contract (S1-S9), run on every repository adapter."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from subscription_core.catalog import Addon, AddonKind
from subscription_core.entitlements import Entitlement, StorageBought
from subscription_core.errors import ConflictError, NotFoundError
from subscription_core.held_back import HeldBack
from subscription_core.lifecycle import advance
from subscription_core.money import Money
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.renewals import renew, top_up_storage
from subscription_core.subscriptions import Subscription
from subscription_core.tax import VatSchedule

from .builders import PRODUCT, STAFF, VND, at, subscription, trial
from .transactions import commit


def store(units: UnitOfWorkFactory, *subscriptions: Subscription) -> None:
    with units() as uow:
        for s in subscriptions:
            uow.subscriptions.add(s)
        uow.commit()


def due_at(sub: Subscription) -> dt.datetime:
    due = sub.next_due_at
    assert due is not None
    return due


def test_s9_added_subscription_reads_back_equal(units: UnitOfWorkFactory) -> None:
    stored = subscription("sub-1")
    store(units, stored)
    with units() as uow:
        read = uow.subscriptions.get("sub-1")
    assert read == stored
    assert read.history == stored.history
    assert read.next_due_at == stored.next_due_at


def test_unknown_subscription_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.subscriptions.get("sub-404")


def test_subscription_id_is_unique(units: UnitOfWorkFactory) -> None:
    store(units, subscription("sub-1"))
    with units() as uow, pytest.raises(ConflictError):
        uow.subscriptions.add(subscription("sub-1", customer_id="cus-2"))


def test_saved_subscription_replaces_the_stored_one(units: UnitOfWorkFactory) -> None:
    stored = subscription("sub-1")
    store(units, stored)
    warned = advance(stored, due_at(stored)).subscription
    with units() as uow:
        uow.subscriptions.save(warned, expected_version=stored.version)
        uow.commit()
    with units() as uow:
        assert uow.subscriptions.get("sub-1") == warned


def test_save_with_a_stale_version_conflicts(units: UnitOfWorkFactory) -> None:
    stored = subscription("sub-1")
    store(units, stored)
    warned = advance(stored, due_at(stored)).subscription
    with units() as uow:
        uow.subscriptions.save(warned, expected_version=stored.version)
        uow.commit()
    purged = advance(stored, at(400)).subscription
    with pytest.raises(ConflictError):
        commit(units, lambda uow: uow.subscriptions.save(purged, expected_version=stored.version))
    with units() as uow:
        assert uow.subscriptions.get("sub-1") == warned


def test_saving_an_unknown_subscription_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.subscriptions.save(subscription("sub-404"), expected_version=0)


def test_s8_subscriptions_of_a_customer_ordered_by_id(units: UnitOfWorkFactory) -> None:
    store(
        units,
        subscription("sub-3", customer_id="cus-1"),
        subscription("sub-1", customer_id="cus-1"),
        subscription("sub-2", customer_id="cus-2"),
    )
    with units() as uow:
        assert [s.id for s in uow.subscriptions.of_customer("cus-1")] == ["sub-1", "sub-3"]
        assert uow.subscriptions.of_customer("cus-9") == []


def test_s3_due_picks_exactly_the_due_ones_earliest_first(units: UnitOfWorkFactory) -> None:
    subs = [subscription(f"sub-{i}", start=at(i)) for i in (3, 0, 2, 1, 4)]
    store(units, *subs)
    by_due = sorted(subs, key=lambda s: (due_at(s), s.id))
    cutoff = due_at(by_due[2])  # "at or before": the third is due exactly then
    with units() as uow:
        assert [s.id for s in uow.subscriptions.due(cutoff, limit=10)] == [s.id for s in by_due[:3]]
        assert uow.subscriptions.due(due_at(by_due[0]) - dt.timedelta(seconds=1), limit=10) == []


def test_s3_due_honours_the_limit(units: UnitOfWorkFactory) -> None:
    subs = [subscription(f"sub-{i}", start=at(i)) for i in range(5)]
    store(units, *subs)
    with units() as uow:
        assert [s.id for s in uow.subscriptions.due(at(400), limit=2)] == ["sub-0", "sub-1"]
        assert uow.subscriptions.due(at(400), limit=0) == []


def test_s3_due_follows_saved_deadlines(units: UnitOfWorkFactory) -> None:
    early, late = subscription("sub-1", start=at(0)), subscription("sub-2", start=at(1))
    store(units, early, late)
    warned = advance(early, due_at(early)).subscription  # its next warning comes later now
    with units() as uow:
        uow.subscriptions.save(warned, expected_version=early.version)
        uow.commit()
    with units() as uow:
        assert [s.id for s in uow.subscriptions.due(due_at(late), limit=10)] == ["sub-2"]
        assert [s.id for s in uow.subscriptions.due(due_at(warned), limit=10)] == ["sub-2", "sub-1"]


def test_s4_a_purged_subscription_is_never_due(units: UnitOfWorkFactory) -> None:
    purged = advance(subscription("sub-1"), at(400)).subscription
    assert purged.next_due_at is None
    store(units, purged, subscription("sub-2"))
    with units() as uow:
        assert [s.id for s in uow.subscriptions.due(at(10_000), limit=10)] == ["sub-2"]


def test_s3_due_sees_the_units_own_writes(units: UnitOfWorkFactory) -> None:
    store(units, subscription("sub-1", start=at(1)))
    with units() as uow:
        uow.subscriptions.add(subscription("sub-0", start=at(0)))
        assert [s.id for s in uow.subscriptions.due(at(400), limit=10)] == ["sub-0", "sub-1"]


def test_b1_subscriptions_read_many_at_once_by_id_and_by_customer(units: UnitOfWorkFactory) -> None:
    subs = [subscription(f"sub-{n}", customer_id=f"cus-{n % 3}") for n in range(1, 8)]
    store(units, *subs)
    with units() as uow:
        assert uow.subscriptions.get_many(["sub-2", "sub-9", "sub-2", "sub-5"]) == {"sub-2": subs[1], "sub-5": subs[4]}
        held = uow.subscriptions.of_customers(["cus-1", "cus-9", "cus-0"])
    assert held == {
        "cus-1": [s for s in subs if s.customer_id == "cus-1"],
        "cus-9": [],
        "cus-0": [s for s in subs if s.customer_id == "cus-0"],
    }
    assert all(group == sorted(group, key=lambda s: s.id) for group in held.values())


def test_b1_many_subscriptions_read_beyond_one_query_s_worth(units: UnitOfWorkFactory) -> None:
    subs = [subscription(f"sub-{n:04d}", customer_id=f"cus-{n % 700}") for n in range(1, 1302)]
    store(units, *subs)
    with units() as uow:
        found = uow.subscriptions.get_many([s.id for s in subs])
        held = uow.subscriptions.of_customers([f"cus-{n}" for n in range(700)])
    assert found == {s.id: s for s in subs}
    assert sum(len(group) for group in held.values()) == len(subs)


def test_s9_save_many_saves_each_at_its_version(units: UnitOfWorkFactory) -> None:
    subs = [subscription(f"sub-{n}") for n in range(1, 5)]
    store(units, *subs)
    later = [advance(s, at(400)).subscription for s in subs[:3]]
    assert all(after.version > before.version for after, before in zip(later, subs, strict=False))
    with units() as uow:
        uow.subscriptions.save_many([(after, before.version) for after, before in zip(later, subs, strict=False)])
        uow.subscriptions.save_many([])
        uow.commit()
    with units() as uow:
        assert uow.subscriptions.get_many([s.id for s in subs]) == {
            **{s.id: s for s in subs},
            **{s.id: s for s in later},
        }


def test_s9_save_many_refuses_a_stale_version_and_the_unit_keeps_nothing(units: UnitOfWorkFactory) -> None:
    subs = [subscription(f"sub-{n}") for n in range(1, 4)]
    store(units, *subs)
    later = [advance(s, at(400)).subscription for s in subs]
    stale = [(later[0], subs[0].version), (later[1], subs[1].version + 7), (later[2], subs[2].version)]
    with units() as uow, pytest.raises(ConflictError):
        uow.subscriptions.save_many(stale)
    with units() as uow:
        assert uow.subscriptions.get_many([s.id for s in subs]) == {s.id: s for s in subs}
    with units() as uow, pytest.raises(NotFoundError):
        uow.subscriptions.save_many([(subscription("sub-9"), 0)])


def _with_a_later_term_and_storage() -> Subscription:
    """Paid a year from T0, 2 x 5 GB bought on day 30, renewed on day 60 for a month with 1 x 5 GB (S10, S11)."""
    addon = Addon(
        code="STO",
        name="5 GB",
        kind=AddonKind.STORAGE,
        price=Money.of(100_000, VND),
        plans={"STD"},
        vat=VatSchedule.flat("10%"),
        storage_per_unit=5,
    )
    topped = top_up_storage(subscription("sub-1", option="1Y"), addon, 2, at(30), actor=STAFF).subscription
    later = Entitlement.of(PRODUCT, "STD", "1M").with_storage((StorageBought(addon="STO", units=1, amount=5),))
    return renew(topped, later, at(60), actor=STAFF).subscription


def test_s10_s11_a_later_term_and_the_storage_of_each_term_read_back_equal(units: UnitOfWorkFactory) -> None:
    stored = _with_a_later_term_and_storage()
    assert stored.storage
    assert stored.upcoming
    store(units, stored)
    with units() as uow:
        read = uow.subscriptions.get("sub-1")
    assert read == stored
    assert read.next_due_at == stored.next_due_at
    started = advance(read, at(366)).subscription
    with units() as uow:
        uow.subscriptions.save(started, expected_version=read.version)
        uow.commit()
    with units() as uow:
        again = uow.subscriptions.get("sub-1")
    assert again == started
    assert (again.upcoming, again.extra_storage, again.storage) == ((), 5, stored.upcoming[0].storage)


def test_s12_one_free_trial_per_company_and_product_is_ever_stored(units: UnitOfWorkFactory) -> None:
    store(units, trial("sub-1"), trial("sub-2", customer_id="cus-2"), subscription("sub-3"), subscription("sub-4"))
    with pytest.raises(ConflictError):
        commit(units, lambda uow: uow.subscriptions.add(trial("sub-5", start=at(400))))
    with units() as uow:
        assert [s.id for s in uow.subscriptions.of_customer("cus-1")] == ["sub-1", "sub-3", "sub-4"]


def test_s12_a_trial_keeps_its_place_when_saved(units: UnitOfWorkFactory) -> None:
    first = trial("sub-1")
    store(units, first)
    later = advance(first, at(45)).subscription  # expired, then in its purge window
    commit(units, lambda uow: uow.subscriptions.save(later, expected_version=first.version))
    with pytest.raises(ConflictError):
        commit(units, lambda uow: uow.subscriptions.add(trial("sub-2", start=at(50))))
    with units() as uow:
        assert uow.subscriptions.get("sub-1") == later


def test_s1_held_back_subscriptions_are_listed_longest_held_first_and_due_at_their_retry(
    units: UnitOfWorkFactory,
) -> None:
    first, second, fine = subscription("sub-1"), subscription("sub-2"), subscription("sub-3")
    store(units, first, second, fine)
    holds = {
        "sub-1": HeldBack(since=at(2), attempts=1, error="OverflowError", retry_at=at(2, minutes=5)),
        "sub-2": HeldBack(since=at(1), attempts=2, error="[S4] NotEligibleError: x", retry_at=at(3)),
    }
    for sub in (first, second):
        held = attrs.evolve(sub, held_back=holds[sub.id], version=sub.version + 1)
        with units() as uow:
            uow.subscriptions.save(held, expected_version=sub.version)
            uow.commit()
    with units() as uow:
        listed = uow.subscriptions.held_back(limit=10)
        assert [s.id for s in listed] == ["sub-2", "sub-1"]
        assert listed[0].held_back == holds["sub-2"]
        assert uow.subscriptions.held_back(limit=1)[0].id == "sub-2"
        assert [s.id for s in uow.subscriptions.due(at(2, minutes=5), limit=10) if s.id != "sub-3"] == ["sub-1"]
    lifted = attrs.evolve(listed[1], held_back=None, version=listed[1].version + 1)
    commit(units, lambda uow: uow.subscriptions.save(lifted, expected_version=listed[1].version))
    with units() as uow:
        assert [s.id for s in uow.subscriptions.held_back(limit=10)] == ["sub-2"]
