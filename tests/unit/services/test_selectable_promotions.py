"""The promotions an order may choose (P3, P4, P9): ``selectable_promotions`` against the stored book and counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from subscription_core.errors import NotFoundError, PermissionDeniedError
from subscription_core.money import Money
from subscription_core.promotions import AmountOff, Entry, PurchaseKind, Scope
from subscription_core.services import NewPurchase, Renewal, quote_order, selectable_promotions

from .harness import BUYER, STAFF, STRANGER, T0, VND, World, promotion

_STD = NewPurchase(customer_id="cus-1", plan="std", option="1y")


def test_p3_each_selectable_promotion_is_priced_as_if_chosen_alone_and_nothing_changes(world: World) -> None:
    flat = attrs.evolve(promotion("FLAT"), scope=Scope.INVOICE, benefit=AmountOff(amount=Money.of(100_000, VND)))
    world.add(promotion("TEN"), promotion("TWENTY", percent=20), flat)
    before = world.snapshot()
    offered = selectable_promotions(world.deps, BUYER, _STD)
    assert [(s.code, s.scope) for s in offered] == [
        ("TEN", Scope.PACKAGE),
        ("TWENTY", Scope.PACKAGE),
        ("FLAT", Scope.INVOICE),
    ]
    for shown in offered:
        alone = quote_order(world.deps, BUYER, attrs.evolve(_STD, codes=(shown.code,)))
        assert shown.amount_off == alone.discount_total
        assert shown.grand_total == alone.grand_total
    assert offered[2].amount_off == Money.of(100_000, VND)
    assert world.snapshot() == before


def test_p3_codes_handed_out_by_sales_are_never_listed(world: World) -> None:
    world.add(attrs.evolve(promotion("SECRET"), entry=Entry.CODE), promotion("OPEN"))
    assert [s.code for s in selectable_promotions(world.deps, BUYER, _STD)] == ["OPEN"]


def test_p4_only_promotions_for_the_items_and_kind_of_purchase_are_listed(world: World) -> None:
    world.add(
        attrs.evolve(promotion("ENTONLY"), targets={"ent"}),
        attrs.evolve(promotion("RENEWONLY"), purchase_kinds={PurchaseKind.RENEWAL}),
        attrs.evolve(promotion("BIG"), min_amount=Money.of(1_000_000_000, VND)),
        attrs.evolve(promotion("LATER"), valid_from=(T0 + dt.timedelta(days=30)).date()),
        promotion("ANY"),
    )
    assert [s.code for s in selectable_promotions(world.deps, BUYER, _STD)] == ["ANY"]
    subscription = world.buy()
    renewal = Renewal(subscription_id=subscription.id, option="1y")
    assert [s.code for s in selectable_promotions(world.deps, BUYER, renewal)] == ["ANY", "RENEWONLY"]


def test_p9_a_promotion_used_up_overall_is_not_listed(world: World) -> None:
    world.add(promotion("ONCE", limit=1), promotion("MANY", limit=5))
    world.place(NewPurchase(customer_id="cus-2", plan="std", option="1y", codes=("ONCE",)), actor=STRANGER)
    assert [s.code for s in selectable_promotions(world.deps, BUYER, _STD)] == ["MANY"]


def test_p9_a_per_customer_limit_counts_the_ordering_customer_s_redemptions(world: World) -> None:
    world.add(promotion("MINE", per_customer=1, limit=5))
    world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", codes=("MINE",)))
    assert selectable_promotions(world.deps, BUYER, _STD) == ()
    other = NewPurchase(customer_id="cus-2", plan="std", option="1y")
    assert [s.code for s in selectable_promotions(world.deps, STRANGER, other)] == ["MINE"]
    assert [s.code for s in selectable_promotions(world.deps, STAFF, other)] == ["MINE"]


def test_a1_only_who_may_order_sees_the_list(world: World) -> None:
    world.add(promotion("TEN"))
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError):
        selectable_promotions(world.deps, STRANGER, _STD)
    with pytest.raises(NotFoundError) as caught:
        selectable_promotions(world.deps, BUYER, NewPurchase(customer_id="cus-1", plan="gold", option="1y"))
    assert caught.value.reference  # the plan is inside the request, not the resource addressed
    assert world.snapshot() == before


def test_p2_a_fixed_amount_lists_exactly_what_it_takes_off(world: World) -> None:
    world.add(attrs.evolve(promotion("ONEDONG"), benefit=AmountOff(amount=Money.of(Decimal(1), VND))))
    assert [s.amount_off for s in selectable_promotions(world.deps, BUYER, _STD)] == [Money.of(1, VND)]
