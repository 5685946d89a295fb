"""A visitor's quote (P1-P9, C1, C3): ``quote_for_visitor``, against the stored promotion book and counts."""

from __future__ import annotations

import pytest

from subscription_core.customers import Actor
from subscription_core.errors import NotEligibleError, NotFoundError, ValidationError
from subscription_core.money import Money
from subscription_core.promotions import RefusalReason
from subscription_core.services import AddonChoice, NewPurchase, quote_for_visitor, quote_order

from .harness import STRANGER, VND, World, promotion


def test_o1_a_visitor_s_quote_is_a_new_purchase_s_quote_and_changes_nothing(world: World) -> None:
    world.add(promotion("TET10"))
    addons = (AddonChoice(addon="storage10", quantity=2), AddonChoice(addon="training"))
    before = world.snapshot()
    shown = quote_for_visitor(world.deps, plan="ent", option="1y", addons=addons, codes=["tet10"])
    request = NewPurchase(customer_id="cus-3", plan="ent", option="1y", addons=addons, codes=("tet10",))
    assert shown == quote_order(world.deps, Actor.customer_user("u-3", "cus-3"), request)
    assert [a.code for a in shown.applied] == ["TET10"]
    assert world.snapshot() == before


def test_p4_unknown_codes_are_shown_as_refused(world: World) -> None:
    shown = quote_for_visitor(world.deps, plan="pro", option="6m", codes=("NOPE",))
    assert [(r.code, r.reason) for r in shown.refused] == [("NOPE", RefusalReason.UNKNOWN_CODE)]
    assert shown.grand_total == Money.of(6_500_000, VND)


def test_p9_an_exhausted_promotion_is_refused_to_a_visitor(world: World) -> None:
    world.add(promotion("ONCE", limit=1))
    world.place(NewPurchase(customer_id="cus-2", plan="std", option="1y", codes=("ONCE",)), actor=STRANGER)
    shown = quote_for_visitor(world.deps, plan="std", option="1y", codes=("ONCE",))
    assert [(r.code, r.reason) for r in shown.refused] == [("ONCE", RefusalReason.LIMIT_REACHED)]
    assert shown.applied == ()


def test_p9_a_per_customer_limit_applies_as_for_a_new_customer(world: World) -> None:
    world.add(promotion("MINE", per_customer=1, limit=5))
    world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", codes=("MINE",)))
    shown = quote_for_visitor(world.deps, plan="std", option="1y", codes=("MINE",))
    assert [a.code for a in shown.applied] == ["MINE"]
    assert shown.grand_total == Money.of(5_400_000, VND)


@pytest.mark.parametrize(
    ("inputs", "error"),
    [
        ({"plan": "gold", "option": "1y"}, NotFoundError),
        ({"plan": "std", "option": "9y"}, NotFoundError),
        ({"plan": "std", "option": "1y", "addons": (AddonChoice(addon="nope"),)}, NotFoundError),
        ({"plan": "", "option": "1y"}, ValidationError),
        ({"plan": "std", "option": "1y", "codes": "TET10"}, ValidationError),
        ({"plan": "std", "option": "1y", "codes": ("",)}, ValidationError),
        ({"plan": "std", "option": "1y", "addons": ("storage10",)}, ValidationError),
        ({"plan": "std", "option": "1y", "addons": 7}, ValidationError),
        ({"plan": "std", "option": "1y", "addons": (AddonChoice(addon="storage10"),)}, NotEligibleError),
    ],
)
def test_c1_c3_s6_bad_visitor_input_refused_as_for_an_order(
    world: World, inputs: dict[str, object], error: type
) -> None:
    before = world.snapshot()
    with pytest.raises(error):
        quote_for_visitor(world.deps, **inputs)  # type: ignore[arg-type]
    assert world.snapshot() == before
