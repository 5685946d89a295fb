"""The PromotionRepository contract (P3, P4, P9), run on every repository adapter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from subscription_core import limits
from subscription_core.errors import ConflictError, NotFoundError
from subscription_core.money import Money
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.promotions import AmountOff, PercentOff, Promotion, PurchaseKind, Scope
from subscription_core.redemptions import RedemptionState

from .builders import at, promotion, redemption


def test_p3_added_promotion_reads_back_equal_by_code_ignoring_case(units: UnitOfWorkFactory) -> None:
    stored = promotion("Sale10", limit=5, per_customer=1)
    with units() as uow:
        uow.promotions.add(stored)
        uow.commit()
    with units() as uow:
        assert uow.promotions.get("Sale10") == stored
        assert uow.promotions.get("SALE10") == stored
        assert uow.promotions.get("sale10") == stored


def test_p3_unknown_code_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.promotions.get("NOPE")


def test_p3_code_is_unique_ignoring_case(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.promotions.add(promotion("SALE10"))
        uow.commit()
    with units() as uow, pytest.raises(ConflictError):
        uow.promotions.add(promotion("sale10"))


def test_p3_all_promotions_ordered_by_code(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        for code in ("TET2027", "BLACKFRIDAY", "NEWYEAR"):
            uow.promotions.add(promotion(code))
        uow.commit()
    with units() as uow:
        assert [p.code for p in uow.promotions.all()] == ["BLACKFRIDAY", "NEWYEAR", "TET2027"]


def test_p9_reserve_until_the_total_limit_then_refuse_storing_nothing(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        assert uow.promotions.reserve(
            redemption("SALE", "ord-1", customer_id="cus-1"), limit=2, per_customer_limit=None
        )
        assert uow.promotions.reserve(
            redemption("SALE", "ord-2", customer_id="cus-2"), limit=2, per_customer_limit=None
        )
        uow.commit()
    with units() as uow:
        refused = uow.promotions.reserve(
            redemption("SALE", "ord-3", customer_id="cus-3"), limit=2, per_customer_limit=None
        )
        assert refused is False
        uow.commit()
    with units() as uow:
        assert uow.promotions.redemptions_of("ord-3") == []
        assert uow.promotions.counts(["SALE"], "cus-3").total.get("SALE", 0) == 2


def test_p9_reserve_until_the_per_customer_limit(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        assert uow.promotions.reserve(redemption("SALE", "ord-1", customer_id="cus-1"), limit=10, per_customer_limit=1)
        assert not uow.promotions.reserve(
            redemption("SALE", "ord-2", customer_id="cus-1"), limit=10, per_customer_limit=1
        )
        assert uow.promotions.reserve(redemption("SALE", "ord-3", customer_id="cus-2"), limit=10, per_customer_limit=1)
        uow.commit()
    with units() as uow:
        counts = uow.promotions.counts(["SALE"], "cus-1")
    assert counts.total.get("SALE", 0) == 2
    assert counts.by_customer.get("SALE", 0) == 1


def test_p9_reserving_again_for_the_same_order_and_code_is_a_no_op(units: UnitOfWorkFactory) -> None:
    first = redemption("SALE", "ord-1")
    with units() as uow:
        assert uow.promotions.reserve(first, limit=1, per_customer_limit=1)
        assert uow.promotions.reserve(redemption("SALE", "ord-1"), limit=1, per_customer_limit=1)
        uow.commit()
    with units() as uow:
        assert uow.promotions.reserve(redemption("SALE", "ord-1"), limit=1, per_customer_limit=1)
        uow.commit()
    with units() as uow:
        assert uow.promotions.redemptions_of("ord-1") == [first]
        assert uow.promotions.counts(["SALE"], "cus-1").total.get("SALE", 0) == 1


def test_p9_counts_reserved_and_consumed_but_not_released(units: UnitOfWorkFactory) -> None:
    reserved = [redemption("SALE", f"ord-{i}", customer_id=f"cus-{i % 2}") for i in range(4)]
    with units() as uow:
        for r in reserved:
            assert uow.promotions.reserve(r, limit=None, per_customer_limit=None)
        uow.promotions.reserve(redemption("OTHER", "ord-0", customer_id="cus-0"), limit=None, per_customer_limit=None)
        uow.commit()
    with units() as uow:
        uow.promotions.save_redemption(reserved[0].consume(at(1)))
        uow.promotions.save_redemption(reserved[2].release(at(1)))
        uow.commit()
    with units() as uow:
        counts = uow.promotions.counts(["SALE", "OTHER", "NONE"], "cus-0")
    assert (counts.total.get("SALE", 0), counts.by_customer.get("SALE", 0)) == (3, 1)
    assert (counts.total.get("OTHER", 0), counts.by_customer.get("OTHER", 0)) == (1, 1)
    assert counts.total.get("NONE", 0) == counts.by_customer.get("NONE", 0) == 0


def test_p9_a_released_redemption_frees_its_place(units: UnitOfWorkFactory) -> None:
    held = redemption("SALE", "ord-1")
    with units() as uow:
        assert uow.promotions.reserve(held, limit=1, per_customer_limit=None)
        uow.commit()
    with units() as uow:
        uow.promotions.save_redemption(held.release(at(1)))
        uow.commit()
    with units() as uow:
        assert uow.promotions.reserve(redemption("SALE", "ord-2"), limit=1, per_customer_limit=None)
        uow.commit()


def test_p9_saved_redemption_state_reads_back(units: UnitOfWorkFactory) -> None:
    held = redemption("SALE", "ord-1")
    with units() as uow:
        uow.promotions.reserve(held, limit=None, per_customer_limit=None)
        uow.commit()
    with units() as uow:
        uow.promotions.save_redemption(held.consume(at(1)))
        uow.commit()
    with units() as uow:
        [read] = uow.promotions.redemptions_of("ord-1")
    assert read.state is RedemptionState.CONSUMED
    assert read == held.consume(at(1))


def test_p9_saving_an_unknown_redemption_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.promotions.save_redemption(redemption("SALE", "ord-404").release(at(1)))


def test_p9_redemptions_of_an_order_by_code(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        for code in ("TET", "BLACK", "NEW"):
            uow.promotions.reserve(redemption(code, "ord-1"), limit=None, per_customer_limit=None)
        uow.promotions.reserve(redemption("TET", "ord-2"), limit=None, per_customer_limit=None)
        uow.commit()
    with units() as uow:
        assert [r.code for r in uow.promotions.redemptions_of("ord-1")] == ["BLACK", "NEW", "TET"]
        assert uow.promotions.redemptions_of("ord-9") == []


def test_p4_a_promotion_at_every_limit_reads_back_equal(units: UnitOfWorkFactory) -> None:
    # Issue 14: what Promotion() accepts, every store keeps and gives back unchanged (no driver error).
    edge = Promotion(
        code="EDGE",
        scope=Scope.INVOICE,
        benefit=AmountOff(amount=Money.of(limits.MAX_AMOUNT, "VND")),
        name="Tết",
        targets={"amis", "x.y_z-1"},
        valid_from=limits.EARLIEST_DATE,
        valid_until=limits.LATEST_DATE,
        min_amount=Money.of(limits.MAX_AMOUNT, "VND"),
        purchase_kinds={PurchaseKind.RENEWAL},
        stackable=True,
        redemption_limit=limits.MAX_REDEMPTIONS,
        per_customer_limit=limits.MAX_REDEMPTIONS,
    )
    percent = Promotion(
        code="EDGE2",
        scope=Scope.PACKAGE,
        benefit=PercentOff(percent=Decimal(100) / 3, cap=Money.of(limits.MAX_AMOUNT, "VND")),
        targets={"a plan code with spaces, as an old document may hold"},
    )
    with units() as uow:
        uow.promotions.add(edge)
        uow.promotions.add(percent)
        uow.commit()
    with units() as uow:
        assert uow.promotions.get("EDGE") == edge
        assert uow.promotions.get("EDGE2") == percent
