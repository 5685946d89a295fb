"""Quoting and placing orders of every kind (O1-O4, C4, C5, S5, S6, P4, P9), and what payment grants."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from subscription_core.catalog import Catalog
from subscription_core.errors import (
    CurrencyMismatchError,
    InvalidTransitionError,
    NotEligibleError,
    NotFoundError,
    ValidationError,
)
from subscription_core.money import Money
from subscription_core.orders import OrderKind, OrderState
from subscription_core.promotions import RefusalReason
from subscription_core.redemptions import RedemptionState
from subscription_core.services import (
    AddonChoice,
    Checkout,
    NewPurchase,
    NotificationStatus,
    Renewal,
    RetentionPackage,
    StorageTopUp,
    cancel_order,
    handle_notification,
    place_order,
    quote_order,
    run_scheduler,
    start_trial,
)
from subscription_core.subscriptions import State

from .harness import BUYER, CATALOG, STAFF, STRANGER, VND, World, party, promotion


def _redemptions(world: World) -> dict[tuple[str, str], RedemptionState]:
    with world.store.lock:
        return {(r.order_id, r.code): r.state for r in world.store.redemptions.rows.values()}


def test_o1_new_purchase_paid_online_opens_an_active_subscription(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="2y"))
    assert order.state is OrderState.PLACED
    assert order.kind is OrderKind.NEW_PURCHASE
    assert order.grand_total == Money.of(11_000_000, VND)
    world.pay_online(order)
    sub = world.subscription(order.lines[0].ref)
    assert sub.state is State.ACTIVE
    assert sub.customer_id == "cus-1"
    assert sub.last_day == dt.date(2028, 11, 22)
    assert world.order(order.id).state is OrderState.FULFILLED


def test_o1_new_purchase_with_training_and_storage_on_enterprise(world: World) -> None:
    addons = (AddonChoice(addon="training"), AddonChoice(addon="storage10", quantity=2))
    order = world.place(NewPurchase(customer_id="cus-1", plan="ent", option="1y", addons=addons))
    assert order.grand_total == Money.of(24_000_000 + 1_650_000 + 2_640_000, VND)
    world.pay_online(order)
    assert world.subscription(order.lines[0].ref).extra_storage == 20


def test_s6_extra_storage_with_a_new_purchase_refused_unless_enterprise(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", addons=(AddonChoice(addon="storage10"),)))
    assert caught.value.rule == "S6"
    assert world.snapshot() == before


def test_c4_new_purchase_naming_the_trial_converts_it(world: World) -> None:
    trial = start_trial(world.deps, BUYER, customer_id="cus-1", plan="std", idempotency_key="t-1")
    assert trial.state is State.TRIAL
    world.at(days=5)
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", trial_id=trial.id))
    world.pay_online(order)
    converted = world.subscription(trial.id)
    assert converted.state is State.ACTIVE
    assert converted.terms[0].start == dt.date(2026, 11, 28)  # the paid term starts on payment (C4)
    assert [s.id for s in world.subscriptions_of("cus-1")] == [trial.id]


def test_c4_paid_subscription_is_no_trial_to_convert(world: World) -> None:
    sub = world.buy()
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", trial_id=sub.id))
    assert caught.value.rule == "C4"
    assert world.snapshot() == before


def test_c4_a_trial_is_converted_not_renewed(world: World) -> None:
    trial = start_trial(world.deps, BUYER, customer_id="cus-1", plan="std", idempotency_key="t-1")
    with pytest.raises(NotEligibleError) as caught:
        world.renew(trial.id)
    assert caught.value.rule == "C4"


def test_c4_another_customers_trial_is_not_found(world: World) -> None:
    trial = start_trial(world.deps, STRANGER, customer_id="cus-2", plan="std", idempotency_key="t-1")
    with pytest.raises(NotFoundError):
        world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", trial_id=trial.id))


def test_s2_renewal_before_expiry_extends_from_the_expiry(world: World) -> None:
    sub = world.buy()
    world.at(days=200)
    order = world.renew(sub.id)
    assert order.kind is OrderKind.RENEWAL
    world.pay_online(order)
    renewed = world.subscription(sub.id)
    assert renewed.last_day == dt.date(2028, 11, 22)
    assert renewed.version > sub.version


def test_o1_renewal_with_plan_switch(world: World) -> None:
    sub = world.buy()
    order = world.place(Renewal(subscription_id=sub.id, plan="pro", option="6m"))
    assert order.kind is OrderKind.RENEWAL_WITH_PLAN_SWITCH
    world.pay_online(order)
    assert world.subscription(sub.id).plan_code == "std"  # until the paid term ends (S10)
    world.at(days=365)
    run_scheduler(world.deps)
    switched = world.subscription(sub.id)
    assert switched.plan_code == "pro"
    assert {q.code: q.amount for q in switched.quotas}["employees"] == 150


def test_s6_storage_beyond_the_quota_on_renewal_to_enterprise(world: World) -> None:
    sub = world.buy(plan="ent")
    order = world.place(Renewal(subscription_id=sub.id, option="1y", storage_addon="storage10", storage_units=3))
    world.pay_online(order)
    world.at(days=365)
    run_scheduler(world.deps)
    assert world.subscription(sub.id).extra_storage == 30


def test_s6_storage_beyond_the_quota_refused_on_a_standard_renewal(world: World) -> None:
    sub = world.buy()
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        world.place(Renewal(subscription_id=sub.id, option="1y", storage_addon="storage10", storage_units=1))
    assert caught.value.rule == "S6"
    assert world.snapshot() == before


def test_s6_storage_top_up_is_prorated_and_added(world: World) -> None:
    sub = world.buy()
    world.at(days=365 - 73)  # 73 of 365 days left
    order = world.place(StorageTopUp(subscription_id=sub.id, addon="storage10", quantity=2))
    assert order.kind is OrderKind.STORAGE_TOP_UP
    assert order.pretax_total == Money.of(480_000, VND)  # 2 400 000 × 73 / 365
    assert order.grand_total == Money.of(528_000, VND)
    assert order.pay_by is not None
    assert sub.expires_at is not None
    assert order.pay_by <= sub.expires_at
    world.pay_online(order)
    assert world.subscription(sub.id).extra_storage == 20


def test_s6_storage_top_up_refused_once_expired(world: World) -> None:
    sub = world.buy()
    world.at(days=400)
    before = world.snapshot()
    with pytest.raises(InvalidTransitionError):
        world.place(StorageTopUp(subscription_id=sub.id, addon="storage10", quantity=1))
    assert world.snapshot() == before


def test_s5_retention_refused_while_active_with_the_reason(world: World) -> None:
    sub = world.buy()
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        world.place(RetentionPackage(subscription_id=sub.id, addon="retention", quantity=3))
    assert caught.value.rule == "S5"
    assert "still active" in caught.value.message
    assert "2027-11-22" in caught.value.message
    assert world.snapshot() == before


def test_s5_retention_bought_after_expiry_opens_a_read_only_archive(world: World) -> None:
    sub = world.buy()
    world.at(days=370)
    order = world.place(RetentionPackage(subscription_id=sub.id, addon="retention", quantity=3))
    assert order.kind is OrderKind.DATA_RETENTION
    assert order.grand_total == Money.of(660_000, VND)
    assert order.pay_by is not None
    assert sub.expires_at is not None
    assert order.pay_by <= sub.expires_at + dt.timedelta(days=31)
    world.pay_online(order)
    archived = world.subscription(sub.id)
    assert archived.state is State.READ_ONLY
    assert archived.retention is not None


def test_s5_retention_refused_after_the_purge(world: World) -> None:
    sub = world.buy()
    world.at(days=365 + 40)
    run_scheduler(world.deps)
    assert world.subscription(sub.id).state is State.PURGED
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        world.place(RetentionPackage(subscription_id=sub.id, addon="retention", quantity=1))
    assert caught.value.rule == "S5"
    assert "purged" in caught.value.message
    assert world.snapshot() == before


def test_o2_same_as_subscriber_copies_the_typed_subscriber(world: World) -> None:
    typed = party("Chi nhánh Đà Nẵng", 77, "danang@company1.vn")
    checkout = Checkout(confirmed=True, subscriber=typed, invoice_same_as_subscriber=True)
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"), checkout=checkout)
    assert order.subscriber == typed
    assert order.invoice.buyer == typed
    assert order.invoice.same_as_subscriber


def test_o2_typed_invoice_details_are_used(world: World) -> None:
    buyer = party("Công ty Mẹ", 88, "hoadon@parent.vn")
    order = world.place(
        NewPurchase(customer_id="cus-1", plan="std", option="1y"), checkout=Checkout(confirmed=True, invoice=buyer)
    )
    assert order.invoice.buyer == buyer
    assert not order.invoice.same_as_subscriber


def test_o2_invoice_details_copied_and_typed_at_once_refused() -> None:
    buyer = party("Công ty Mẹ", 88, "hoadon@parent.vn")
    with pytest.raises(ValidationError) as caught:
        Checkout(confirmed=True, invoice=buyer, invoice_same_as_subscriber=True)
    assert caught.value.rule == "O2"


def test_o3_unconfirmed_order_refused(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"), checkout=Checkout(confirmed=False))
    assert caught.value.rule == "O3"
    assert world.snapshot() == before


def test_c5_client_amount_differing_from_the_catalog_refused(world: World) -> None:
    before = world.snapshot()
    cheap = Checkout(confirmed=True, expected_total=Money.of(1_000, VND))
    with pytest.raises(ValidationError) as caught:
        world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"), checkout=cheap)
    assert caught.value.rule == "C5"
    assert caught.value.field == "expected_total"
    assert world.snapshot() == before


def test_c5_client_amount_in_another_currency_refused(world: World) -> None:
    before = world.snapshot()
    dollars = Checkout(confirmed=True, expected_total=Money.of("240.00", "USD"))
    with pytest.raises(CurrencyMismatchError):
        world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"), checkout=dollars)
    assert world.snapshot() == before


def test_c5_client_amount_equal_to_the_catalogs_is_accepted(world: World) -> None:
    shown = Checkout(confirmed=True, expected_total=Money.of(6_000_000, VND))
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"), checkout=shown)
    assert order.grand_total == Money.of(6_000_000, VND)


def test_c5_prices_frozen_at_placement_survive_a_catalog_change(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    dearer = _with_std_price(CATALOG, 9_000_000)
    world.deps = attrs.evolve(world.deps, catalog=dearer)
    world.pay_online(order)
    assert world.order(order.id).grand_total == Money.of(6_000_000, VND)
    assert [i.grand_total for i in world.issuer.issued] == [Money.of(6_000_000, VND)]


def _with_std_price(catalog: Catalog, price: int) -> Catalog:
    product = catalog.products[0]
    std = product.plans[0]
    option = attrs.evolve(std.options[0], price=Money.of(price, VND))
    plans = (attrs.evolve(std, options=(option, *std.options[1:])), *product.plans[1:])
    return Catalog(currency=VND, products=[attrs.evolve(product, plans=plans)])


def test_p9_redemption_reserved_at_placement_and_consumed_on_payment(world: World) -> None:
    world.add(promotion("TET10", limit=5))
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", codes=("tet10",)))
    assert order.grand_total == Money.of(5_400_000, VND)
    assert _redemptions(world) == {(order.id, "TET10"): RedemptionState.RESERVED}
    world.pay_online(order)
    assert _redemptions(world) == {(order.id, "TET10"): RedemptionState.CONSUMED}


def test_p9_limit_reached_refused_clearly(world: World) -> None:
    world.add(promotion("ONCE", limit=1))
    world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", codes=("ONCE",)))
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        world.place(NewPurchase(customer_id="cus-2", plan="std", option="1y", codes=("ONCE",)), actor=STRANGER)
    assert caught.value.rule == "P9"
    assert "no redemptions left" in caught.value.message
    assert world.snapshot() == before


def test_p9_redemption_released_on_cancel(world: World) -> None:
    world.add(promotion("ONCE", limit=1))
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", codes=("ONCE",)))
    cancelled = cancel_order(world.deps, BUYER, order.id, reason="changed my mind", idempotency_key="c-1")
    assert cancelled.state is OrderState.CANCELLED
    assert _redemptions(world) == {(order.id, "ONCE"): RedemptionState.RELEASED}
    again = world.place(NewPurchase(customer_id="cus-2", plan="std", option="1y", codes=("ONCE",)), actor=STRANGER)
    assert again.grand_total == Money.of(5_400_000, VND)


def test_p9_redemption_released_on_lapse(world: World) -> None:
    world.add(promotion("ONCE", limit=1))
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", codes=("ONCE",)))
    world.at(days=8)
    run = run_scheduler(world.deps)
    assert run.lapsed == (order.id,)
    assert world.order(order.id).state is OrderState.LAPSED
    assert _redemptions(world) == {(order.id, "ONCE"): RedemptionState.RELEASED}


def test_p9_per_customer_limit(world: World) -> None:
    world.add(promotion("MINE", per_customer=1))
    world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y", codes=("MINE",)))
    with pytest.raises(NotEligibleError) as caught:
        world.place(NewPurchase(customer_id="cus-1", plan="pro", option="1y", codes=("MINE",)))
    assert caught.value.rule == "P9"
    other = world.place(NewPurchase(customer_id="cus-2", plan="std", option="1y", codes=("MINE",)), actor=STRANGER)
    assert other.applied[0].code == "MINE"


def test_p4_unknown_code_is_shown_by_the_quote_and_refused_at_placement(world: World) -> None:
    request = NewPurchase(customer_id="cus-1", plan="std", option="1y", codes=("NOPE",))
    shown = quote_order(world.deps, BUYER, request)
    assert [(r.code, r.reason) for r in shown.refused] == [("NOPE", RefusalReason.UNKNOWN_CODE)]
    before = world.snapshot()
    with pytest.raises(NotEligibleError) as caught:
        world.place(request)
    assert caught.value.rule == "P4"
    assert world.snapshot() == before


def test_o1_quote_prices_from_the_catalog_and_changes_nothing(world: World) -> None:
    before = world.snapshot()
    shown = quote_order(world.deps, BUYER, NewPurchase(customer_id="cus-1", plan="pro", option="6m"))
    assert shown.grand_total == Money.of(6_500_000, VND)
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (NewPurchase(customer_id="cus-404", plan="std", option="1y"), NotFoundError),
        (NewPurchase(customer_id="cus-1", plan="gold", option="1y"), NotFoundError),
        (NewPurchase(customer_id="cus-1", plan="std", option="5y"), NotFoundError),
        (NewPurchase(customer_id="cus-1", plan="std", option="1y", addons=(AddonChoice(addon="nope"),)), NotFoundError),
        (Renewal(subscription_id="sub-404", option="1y"), NotFoundError),
        (StorageTopUp(subscription_id="sub-404", addon="storage10", quantity=1), NotFoundError),
        (RetentionPackage(subscription_id="sub-404", addon="retention", quantity=1), NotFoundError),
    ],
)
def test_o1_unknown_ids_refused_and_nothing_changed(world: World, request_: object, error: type[Exception]) -> None:
    before = world.snapshot()
    with pytest.raises(error):
        place_order(world.deps, BUYER, request_, Checkout(confirmed=True), idempotency_key="k")  # type: ignore[arg-type]
    assert world.snapshot() == before


@pytest.mark.parametrize(
    "build",
    [
        lambda: AddonChoice(addon="storage10", quantity=-1),
        lambda: AddonChoice(addon="storage10", quantity=0),
        lambda: StorageTopUp(subscription_id="sub-1", addon="storage10", quantity=-2),
        lambda: RetentionPackage(subscription_id="sub-1", addon="retention", quantity=True),
        lambda: Renewal(subscription_id="sub-1", option="1y", storage_addon="storage10", storage_units=-1),
        lambda: NewPurchase(customer_id="", plan="std", option="1y"),
        lambda: NewPurchase(customer_id="cus-1", plan="std", option="1y", codes="TET10"),
        lambda: Checkout(confirmed="yes"),  # type: ignore[arg-type]
        lambda: Checkout(confirmed=True, expected_total=6_000_000),  # type: ignore[arg-type]
    ],
)
def test_o1_malformed_requests_refused_on_construction(build: object) -> None:
    with pytest.raises(ValidationError):
        build()  # type: ignore[operator]


def test_o1_a_request_of_no_known_kind_is_refused(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError):
        place_order(world.deps, BUYER, "std please", Checkout(confirmed=True), idempotency_key="k")  # type: ignore[arg-type]
    assert world.snapshot() == before


def test_o4_cancel_needs_a_reason_and_a_placed_order(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    with pytest.raises(ValidationError):
        cancel_order(world.deps, BUYER, order.id, reason="  ", idempotency_key="c-1")
    world.pay_online(order)
    before = world.snapshot()
    with pytest.raises(InvalidTransitionError):
        cancel_order(world.deps, BUYER, order.id, reason="too late", idempotency_key="c-2")
    assert world.snapshot() == before


def test_o5_staff_place_an_order_for_a_customer_with_a_reason(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-3", plan="std", option="1y"), actor=STAFF)
    assert order.placed_by == STAFF
    assert order.customer_id == "cus-3"


def test_y5_payment_after_a_catalog_change_pays_the_frozen_total(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    world.deps = attrs.evolve(world.deps, catalog=_with_std_price(CATALOG, 1_000))
    world.pay_online(order)
    assert world.order(order.id).state is OrderState.FULFILLED
    again = handle_notification(world.deps, "vnptpay", world.notification(world.order(order.id)))
    assert again.status is NotificationStatus.UNAPPLIED
