"""Paid time is never lost: a renewal's plan starts with its term, storage ends with its term (S10, S11)."""

from __future__ import annotations

import datetime as dt

from subscription_core.lifecycle import NoticeKind
from subscription_core.money import Money
from subscription_core.orders import OrderKind
from subscription_core.quotes import LineKind
from subscription_core.services import Renewal, StorageTopUp, quote_order, run_scheduler, subscription_details
from subscription_core.subscriptions import ActorKind, Event

from .harness import BUYER, VND, World

ENTERPRISE = {"storage": 100, "employees": 500}
STANDARD = {"storage": 10, "employees": 50}


def _granted(world: World, subscription_id: str) -> tuple[str, dict[str, int]]:
    (detail,) = [d for d in subscription_details(world.deps, BUYER, "cus-1") if d.id == subscription_id]
    return detail.plan_code, {q.code: q.granted for q in detail.resources.quotas}


def _storage_lines(order_lines: object) -> list[tuple[str, int]]:
    return [(line.code, line.quantity) for line in order_lines if line.kind is LineKind.ADDON]  # type: ignore[attr-defined]


def test_s10_early_renewal_onto_another_plan_keeps_the_plan_and_storage_until_the_term_ends(world: World) -> None:
    sub = world.buy(plan="ent")  # paid to 2027-11-22 (last day)
    world.at(days=100)
    world.pay_online(world.place(StorageTopUp(subscription_id=sub.id, addon="storage10", quantity=2)))
    world.at(days=190)  # 2027-06-01
    order = world.place(Renewal(subscription_id=sub.id, plan="std", option="1y"))
    world.pay_online(order)

    renewed = world.subscription(sub.id)
    assert renewed.last_day == dt.date(2028, 11, 22)  # nothing paid for is lost
    assert renewed.plan_code == "ent"
    assert _granted(world, sub.id) == ("ent", {**ENTERPRISE, "storage": 120})  # top-up kept to the term's end

    world.at(days=364, hours=14)  # 2027-11-22 23:00 local: the last day of the Enterprise term
    assert _granted(world, sub.id) == ("ent", {**ENTERPRISE, "storage": 120})
    world.at(days=364, hours=15)  # 2027-11-23 00:00 local: the Standard term starts, before the scheduler runs
    assert _granted(world, sub.id) == ("std", {**STANDARD, "storage": 30})  # the renewal bought the storage again

    run_scheduler(world.deps)
    switched = world.subscription(sub.id)
    assert (switched.plan_code, switched.extra_storage) == ("std", 20)
    entry = switched.history[-1]
    assert entry.event is Event.START_TERM
    assert entry.actor.kind is ActorKind.SCHEDULER
    assert ("plan", "std") in entry.details
    assert NoticeKind.TERM_STARTED.value in {m.kind for m in world.outbox() if m.subject_id == sub.id}


def test_s11_a_renewal_quote_offers_the_storage_held_for_the_new_term(world: World) -> None:
    sub = world.buy(plan="ent")
    world.at(days=100)
    world.pay_online(world.place(StorageTopUp(subscription_id=sub.id, addon="storage10", quantity=2)))
    world.at(days=190)
    offered = quote_order(world.deps, BUYER, Renewal(subscription_id=sub.id, plan="std", option="1y"))
    assert _storage_lines(offered.lines) == [("storage10", 2)]
    assert offered.grand_total == Money.of(6_000_000, VND) + Money.of(
        2 * 1_200_000 * 11 // 10, VND
    )  # full price, new term
    dropped = quote_order(
        world.deps, BUYER, Renewal(subscription_id=sub.id, plan="std", option="1y", keep_storage=False)
    )
    assert _storage_lines(dropped.lines) == []


def test_s11_storage_bought_for_the_last_days_of_a_term_is_not_free_in_the_next(world: World) -> None:
    sub = world.buy()  # Standard, last day 2027-11-22
    world.at(days=360)  # 5 days left
    top_up = world.place(StorageTopUp(subscription_id=sub.id, addon="storage10", quantity=1))
    assert top_up.pretax_total == Money.of(16_438, VND)  # 1 200 000 x 5 / 365
    world.pay_online(top_up)
    world.at(days=362)
    renewal = world.renew(sub.id)
    assert _storage_lines(renewal.lines) == [("storage10", 1)]  # offered again, at the new term's price
    dropped = world.place(Renewal(subscription_id=sub.id, option="1y", keep_storage=False))
    world.pay_online(dropped)
    assert _granted(world, sub.id) == ("std", {**STANDARD, "storage": 20})
    world.at(days=365)  # the new term
    assert _granted(world, sub.id) == ("std", STANDARD)
    run_scheduler(world.deps)
    assert world.subscription(sub.id).extra_storage == 0


def test_s11_a_standard_renewal_keeping_its_storage_pays_for_it_and_holds_it_next_term(world: World) -> None:
    sub = world.buy()
    world.at(days=200)
    world.pay_online(world.place(StorageTopUp(subscription_id=sub.id, addon="storage10", quantity=3)))
    world.at(days=300)
    renewal = world.renew(sub.id)  # Standard is not Enterprise-class: kept storage is allowed all the same
    assert renewal.kind is OrderKind.RENEWAL
    assert _storage_lines(renewal.lines) == [("storage10", 3)]
    assert renewal.grand_total == Money.of(6_000_000 + 3 * 1_320_000, VND)
    world.pay_online(renewal)
    world.at(days=500)
    assert _granted(world, sub.id) == ("std", {**STANDARD, "storage": 40})


def test_s10_a_renewal_after_a_switch_bought_for_the_next_term_renews_the_new_plan(world: World) -> None:
    sub = world.buy(plan="ent")
    world.at(days=100)
    world.pay_online(world.place(Renewal(subscription_id=sub.id, plan="pro", option="1y")))
    again = world.renew(sub.id)
    assert again.kind is OrderKind.RENEWAL
    assert [line.code for line in again.lines] == ["pro"]
    world.pay_online(again)
    assert world.subscription(sub.id).last_day == dt.date(2029, 11, 22)
    assert [g.plan_code for g in world.subscription(sub.id).upcoming] == ["pro", "pro"]
