"""Orders: lines frozen from quotes, kinds, confirmation, the state machine and redemptions (C5, O1-O4, P9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.customers import Actor, Contact, InvoiceInfo, Party
from subscription_core.errors import InvalidTransitionError, NotEligibleError, ValidationError
from subscription_core.money import Currency, Money
from subscription_core.order_lines import Billing, OrderLine
from subscription_core.order_states import TRANSITIONS, OrderEvent, OrderState, next_state
from subscription_core.orders import Order, OrderKind
from subscription_core.payment_deadlines import reminder_at
from subscription_core.pricing import quote
from subscription_core.promotions import AmountOff, PercentOff, Promotion, PurchaseKind, Scope
from subscription_core.quotes import AddonSelection, PlanSelection, Quote
from subscription_core.redemptions import (
    Redemption,
    RedemptionState,
    count_redemptions,
    reserve_redemptions,
    settle_redemptions,
)
from subscription_core.tax import VatSchedule

VND = Currency.of("VND")
DAY = dt.date(2026, 11, 23)
ICT = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ICT)
STAFF = Actor.staff("st-1")
BUYER = Actor.customer_user("u-1", "cus-1")
SCHEDULER = Actor.scheduler()
SUBSCRIBER = Party(
    unit_name="Công ty Cổ phần MISA",
    address="Cầu Giấy, Hà Nội",
    email="ketoan@misa.com.vn",
    tax_code="0101243150",
)


def vnd(amount: int) -> Money:
    return Money.of(amount, VND)


def make_catalog(pro_price: int = 12_000_000) -> Catalog:
    pro = Plan(
        code="PRO",
        name="AMIS Professional",
        options=[PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=vnd(pro_price))],
        vat=VatSchedule.flat("10%"),
    )
    training = Addon(
        code="TRAIN",
        name="Training",
        kind=AddonKind.TRAINING,
        price=vnd(1_500_000),
        plans={"PRO"},
        vat=VatSchedule.flat("8%"),
    )
    return Catalog(currency=VND, products=[Product(code="AMIS", name="AMIS.VN", plans=[pro], addons=[training])])


SALE10 = Promotion(code="SALE10", scope=Scope.PACKAGE, benefit=PercentOff(percent=Decimal(10)))
INV100 = Promotion(code="INV100", scope=Scope.INVOICE, benefit=AmountOff(amount=vnd(100_000)))


def make_quote(purchase: PurchaseKind = PurchaseKind.NEW, catalog: Catalog | None = None) -> Quote:
    return quote(
        catalog or make_catalog(),
        [PlanSelection(plan="PRO", option="1Y"), AddonSelection(addon="TRAIN")],
        as_of=DAY,
        promotions=[SALE10, INV100],
        purchase=purchase,
    )


def draft(kind: OrderKind = OrderKind.NEW_PURCHASE, **changes: Any) -> Order:
    renewing = kind is not OrderKind.NEW_PURCHASE
    fields: dict[str, object] = {
        "id": "ord-1",
        "kind": kind,
        "customer_id": "cus-1",
        "subscriber": SUBSCRIBER,
        "invoice": InvoiceInfo.same_as(SUBSCRIBER),
        "placed_by": BUYER,
        "idempotency_key": "req-1",
        "at": T0,
        "subscription_id": "sub-1" if renewing else None,
    }
    fields.update(changes)
    q = make_quote(PurchaseKind.RENEWAL if renewing else PurchaseKind.NEW)
    return Order.from_quote(q, **fields)  # type: ignore[arg-type]


def placed(**changes: Any) -> Order:
    return draft(**changes).place(at=T0 + dt.timedelta(minutes=5), pay_by=T0 + dt.timedelta(days=3), confirmed=True)


# --- C5: every price frozen into the order ----------------------------------------------------------------


def test_c5_lines_copy_every_priced_figure_of_the_quote() -> None:
    q = make_quote()
    order = draft()
    assert len(order.lines) == len(q.lines) == 2
    for line, source in zip(order.lines, q.lines, strict=True):
        assert not isinstance(line, type(source))
        for name in ("kind", "code", "option", "product", "description", "quantity", "unit_price", "base"):
            assert getattr(line, name) == getattr(source, name)
        for name in ("discounts", "invoice_discount", "taxable", "vat_rate", "vat", "ref"):
            assert getattr(line, name) == getattr(source, name)
        assert line.total == source.total
        assert (line.customer_id, line.subscription_id) == ("cus-1", None)
    assert (order.subtotal, order.pretax_total, order.vat_total, order.grand_total) == (
        q.subtotal,
        q.pretax_total,
        q.vat_total,
        q.grand_total,
    )
    assert order.vat_totals == q.vat_totals
    assert order.line_discount_total == q.line_discount_total
    assert order.invoice_discount_total == q.invoice_discount_total
    assert (order.currency, order.priced_on, order.purchase) == (VND, DAY, PurchaseKind.NEW)


def test_c5_worked_totals() -> None:
    order = draft()
    # PRO 12,000,000 - 10% = 10,800,000; TRAIN 1,500,000; invoice 100,000 split 10.8M : 1.5M
    # -> 87,805 / 12,195; VAT 10% of 10,712,195 = 1,071,220 (half-up of 1,071,219.5), 8% of 1,487,805 = 119,024.
    assert [int(line.taxable.amount) for line in order.lines] == [10_712_195, 1_487_805]
    assert [int(line.vat.amount) for line in order.lines] == [1_071_220, 119_024]
    assert order.grand_total == vnd(10_712_195 + 1_487_805 + 1_071_220 + 119_024)
    assert order.promotion_codes == ("SALE10", "INV100")


def test_c5_a_later_catalog_change_touches_nothing() -> None:
    order = placed()
    repriced = make_quote(catalog=make_catalog(pro_price=15_000_000))
    assert repriced.grand_total != order.grand_total
    assert order.lines[0].unit_price == vnd(12_000_000)
    assert order.grand_total == make_quote().grand_total


def test_c5_totals_that_do_not_add_up_are_refused() -> None:
    order = draft()
    with pytest.raises(ValidationError, match="must be pre-tax total") as caught:
        attrs.evolve(order, grand_total=order.grand_total + vnd(1))
    assert caught.value.field == "grand_total"
    with pytest.raises(ValidationError, match="lines' sum") as caught:
        attrs.evolve(order, vat_total=order.vat_total + vnd(1))
    assert caught.value.field == "vat_total"
    with pytest.raises(ValidationError, match="taxable must be base less discounts"):
        attrs.evolve(order.lines[0], taxable=order.lines[0].taxable + vnd(1))
    with pytest.raises(ValidationError, match="at least one line"):
        attrs.evolve(order, lines=())


def test_c5_a_line_refuses_negative_and_mixed_amounts() -> None:
    line = draft().lines[0]
    with pytest.raises(ValidationError, match="negative") as caught:
        attrs.evolve(line, vat=vnd(-1))
    assert caught.value.rule == "P8"
    with pytest.raises(ValidationError, match="one currency"):
        attrs.evolve(line, vat=Money.of("1.00", "USD"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "plan"),
        ("code", ""),
        ("quantity", 0),
        ("quantity", True),
        ("unit_price", 12_000_000),
        ("discounts", ["SALE10"]),
        ("vat_rate", "10%"),
        ("customer_id", None),
        ("subscription_id", ""),
        ("ref", None),
    ],
)
def test_c5_bad_order_line_fields_raise_validation_errors(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(draft().lines[0], **{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field


def test_c5_freeze_wants_a_quote_line() -> None:
    with pytest.raises(ValidationError, match="QuoteLine"):
        OrderLine.freeze("PRO", customer_id="cus-1")  # type: ignore[arg-type]


# --- O1, O2: kinds and the details an order carries -------------------------------------------------------


def test_o1_every_kind_of_the_rule_exists() -> None:
    assert {k.value for k in OrderKind} == {
        "new_purchase",
        "renewal",
        "renewal_with_plan_switch",
        "storage_top_up",
        "data_retention",
        "renewal_on_commitment",
        "bulk_renewal",
    }


@pytest.mark.parametrize("kind", [k for k in OrderKind if k is not OrderKind.BULK_RENEWAL])
def test_o1_kinds_other_than_new_purchase_target_a_subscription(kind: OrderKind) -> None:
    order = draft(kind)
    expected = None if kind is OrderKind.NEW_PURCHASE else "sub-1"
    assert {line.subscription_id for line in order.lines} == {expected}


def test_o1_a_new_purchase_targets_no_subscription_and_a_renewal_needs_one() -> None:
    with pytest.raises(ValidationError, match="targets no subscription") as caught:
        draft(OrderKind.NEW_PURCHASE, subscription_id="sub-1")
    assert caught.value.rule == "O1"
    with pytest.raises(ValidationError, match="targets no subscription"):
        draft(OrderKind.RENEWAL, subscription_id=None)


def test_o1_the_quote_must_be_priced_for_the_kind_of_purchase() -> None:
    with pytest.raises(ValidationError, match="renewal purchase") as caught:
        Order.from_quote(
            make_quote(PurchaseKind.NEW),
            id="o",
            kind=OrderKind.RENEWAL,
            customer_id="cus-1",
            subscriber=SUBSCRIBER,
            invoice=InvoiceInfo.same_as(SUBSCRIBER),
            placed_by=BUYER,
            idempotency_key="k",
            at=T0,
            subscription_id="sub-1",
        )
    assert caught.value.rule == "P4"
    assert draft(OrderKind.STORAGE_TOP_UP).purchase is PurchaseKind.RENEWAL  # either kind is fine for a top-up


def test_o1_a_bulk_renewal_is_not_built_from_one_customer() -> None:
    with pytest.raises(ValidationError, match="for_clients"):
        draft(OrderKind.BULK_RENEWAL, subscription_id="sub-1")


def test_o2_the_order_keeps_subscriber_and_invoice_details() -> None:
    other = Party(
        unit_name="Chi nhánh MISA", address="Quận 3, TP HCM", email="hd@misa.com.vn", tax_code="0101243150-001"
    )
    order = draft(invoice=InvoiceInfo.of(other))
    billing = order.billing_for("cus-1")
    assert (billing.subscriber, billing.invoice.buyer) == (SUBSCRIBER, other)
    assert order.notify == SUBSCRIBER.contact
    ((invoice, lines),) = order.invoices()
    assert invoice.buyer == other
    assert lines == order.lines
    assert (order.subscriber, order.invoice) == (SUBSCRIBER, InvoiceInfo.of(other))
    with pytest.raises(ValidationError, match="not a customer of this order"):
        order.billing_for("cus-2")


def test_o2_notices_may_go_to_another_contact() -> None:
    lan = Contact(name="Lan", email="lan@misa.com.vn")
    assert draft(notify=lan).notify == lan


@pytest.mark.parametrize(
    ("field", "value", "reported"),
    [
        ("id", "", "id"),
        ("customer_id", "", "customer_id"),
        ("subscriber", "MISA", "subscriber"),
        ("invoice", SUBSCRIBER, "invoice"),
        ("placed_by", "u-1", "placed_by"),
        ("idempotency_key", " ", "idempotency_key"),
        ("at", dt.datetime(2026, 11, 23, 9, 0), "at"),  # noqa: DTZ001 - the naive instant is the point
        ("at", "2026-11-23", "at"),
        ("kind", "renewal", "kind"),
    ],
)
def test_o1_bad_draft_inputs_raise_validation_errors(field: str, value: object, reported: str) -> None:
    with pytest.raises(ValidationError) as caught:
        draft(**{field: value})  # type: ignore[arg-type]
    assert caught.value.field == reported


def test_o1_from_quote_wants_a_quote() -> None:
    with pytest.raises(ValidationError, match="must be a Quote"):
        Order.from_quote(
            "quote",  # type: ignore[arg-type]
            id="o",
            kind=OrderKind.NEW_PURCHASE,
            customer_id="cus-1",
            subscriber=SUBSCRIBER,
            invoice=InvoiceInfo.same_as(SUBSCRIBER),
            placed_by=BUYER,
            idempotency_key="k",
            at=T0,
        )


def test_o2_billing_must_match_the_lines_customers() -> None:
    order = draft()
    other = Billing(customer_id="cus-2", subscriber=SUBSCRIBER, invoice=InvoiceInfo.same_as(SUBSCRIBER))
    with pytest.raises(ValidationError, match="exactly the customers"):
        attrs.evolve(order, billing=(*order.billing, other))
    with pytest.raises(ValidationError, match="one entry per customer"):
        attrs.evolve(order, billing=(order.billing[0], order.billing[0]))
    with pytest.raises(ValidationError, match="bulk renewal names none"):
        attrs.evolve(order, customer_id=None)
    with pytest.raises(ValidationError) as caught:
        Billing(customer_id="cus-1", subscriber=SUBSCRIBER, invoice="same")  # type: ignore[arg-type]
    assert caught.value.field == "invoice"


# --- O3: confirmation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("confirmed", [False, None, "yes", 1])
def test_o3_placing_requires_explicit_confirmation(confirmed: object) -> None:
    with pytest.raises(NotEligibleError, match="confirm the order information") as caught:
        draft().place(at=T0, pay_by=T0 + dt.timedelta(days=1), confirmed=confirmed)  # type: ignore[arg-type]
    assert (caught.value.rule, caught.value.field) == ("O3", "confirmed")


# --- O4: the state machine -------------------------------------------------------------------------------


def test_o4_the_table_is_the_rule() -> None:
    s, e = OrderState, OrderEvent
    assert dict(TRANSITIONS) == {
        (s.DRAFT, e.PLACE): s.PLACED,
        (s.PLACED, e.PAY): s.PAID,
        (s.PAID, e.FULFIL): s.FULFILLED,
        (s.PLACED, e.CANCEL): s.CANCELLED,
        (s.PLACED, e.LAPSE): s.LAPSED,
    }


def test_o4_draft_placed_paid_fulfilled() -> None:
    order = draft()
    assert (order.state, order.version, order.pay_by, order.placed_at) == (OrderState.DRAFT, 0, None, None)
    order = order.place(at=T0, pay_by=T0 + dt.timedelta(days=3), confirmed=True)
    assert (order.state, order.version, order.awaiting_payment) == (OrderState.PLACED, 1, True)
    assert order.pay_by == dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    assert order.placed_at == dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
    paid_at = T0 + dt.timedelta(hours=1)
    order = order.mark_paid(at=paid_at, payment_id="pay-1", by=Actor.system("vnpay"))
    assert (order.state, order.payment_id, order.paid_at, order.version) == (OrderState.PAID, "pay-1", paid_at, 2)
    order = order.fulfil(at=paid_at, by=Actor.system("vnpay"))
    assert order.state is OrderState.FULFILLED
    assert [(c.event, c.source, c.target) for c in order.changes] == [
        (OrderEvent.PLACE, OrderState.DRAFT, OrderState.PLACED),
        (OrderEvent.PAY, OrderState.PLACED, OrderState.PAID),
        (OrderEvent.FULFIL, OrderState.PAID, OrderState.FULFILLED),
    ]
    assert order.changes[0].by == BUYER
    assert order.changes[1].note == "pay-1"
    assert all(c.at.tzinfo is dt.UTC for c in order.changes)


def test_o4_a_placed_order_is_cancelled_with_a_reason() -> None:
    order = placed().cancel(at=T0 + dt.timedelta(hours=1), by=STAFF, reason="  khách đổi ý ")
    assert order.state is OrderState.CANCELLED
    assert order.changes[-1].note == "khách đổi ý"
    with pytest.raises(ValidationError, match="needs a reason"):
        placed().cancel(at=T0 + dt.timedelta(hours=1), by=STAFF, reason=" ")


def test_o4_an_unpaid_order_lapses_only_past_its_deadline() -> None:
    order = placed()
    with pytest.raises(NotEligibleError, match="may be paid until") as caught:
        order.lapse(at=T0 + dt.timedelta(days=2), by=SCHEDULER)
    assert caught.value.rule == "O4"
    lapsed = order.lapse(at=T0 + dt.timedelta(days=3), by=SCHEDULER)
    assert lapsed.state is OrderState.LAPSED


def test_o4_a_payment_while_still_placed_is_honoured_after_the_deadline() -> None:
    order = placed().mark_paid(at=T0 + dt.timedelta(days=4), payment_id="pay-1", by=STAFF)
    assert order.state is OrderState.PAID


@pytest.mark.parametrize(
    ("order", "verb", "state", "event"),
    [
        (draft(), lambda o: o.cancel(at=T0, by=STAFF, reason="x"), "draft", "cancel"),
        (draft(), lambda o: o.mark_paid(at=T0, payment_id="p", by=STAFF), "draft", "pay"),
        (draft(), lambda o: o.lapse(at=T0, by=SCHEDULER), "draft", "lapse"),
        (placed(), lambda o: o.place(at=T0, pay_by=T0 + dt.timedelta(days=1), confirmed=True), "placed", "place"),
        (placed(), lambda o: o.fulfil(at=T0 + dt.timedelta(hours=1), by=STAFF), "placed", "fulfil"),
    ],
)
def test_o4_a_disallowed_transition_names_state_and_event(order: Order, verb: object, state: str, event: str) -> None:
    with pytest.raises(InvalidTransitionError, match=f"cannot {event} an order that is {state}") as caught:
        verb(order)  # type: ignore[operator]
    assert (caught.value.rule, caught.value.value) == ("O4", state)


def test_o4_a_paid_order_cannot_be_cancelled_or_lapse() -> None:
    paid = placed().mark_paid(at=T0 + dt.timedelta(hours=1), payment_id="p", by=STAFF)
    with pytest.raises(InvalidTransitionError, match="cannot cancel an order that is paid"):
        paid.cancel(at=T0 + dt.timedelta(hours=2), by=STAFF, reason="x")
    with pytest.raises(InvalidTransitionError, match="cannot lapse an order that is paid"):
        paid.lapse(at=T0 + dt.timedelta(days=9), by=SCHEDULER)


def test_o4_instants_are_checked() -> None:
    order = placed()
    with pytest.raises(ValidationError, match="before the order's last change"):
        order.mark_paid(at=T0, payment_id="p", by=STAFF)
    with pytest.raises(ValidationError) as caught:
        order.mark_paid(at=dt.datetime(2026, 11, 24), payment_id="p", by=STAFF)  # noqa: DTZ001
    assert caught.value.rule == "D2"
    with pytest.raises(ValidationError, match="deadline must come after placing"):
        draft().place(at=T0, pay_by=T0, confirmed=True)
    with pytest.raises(ValidationError) as caught:
        draft().place(at=T0, pay_by=dt.datetime(2026, 12, 1), confirmed=True)  # noqa: DTZ001
    assert caught.value.field == "pay_by"
    with pytest.raises(ValidationError, match="must be an Actor"):
        order.mark_paid(at=T0 + dt.timedelta(hours=1), payment_id="p", by="staff")  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as caught:
        order.mark_paid(at=T0 + dt.timedelta(hours=1), payment_id="", by=STAFF)
    assert caught.value.field == "payment_id"


def test_o4_a_deadline_exists_exactly_once_placed() -> None:
    with pytest.raises(ValidationError, match="deadline is set exactly once placed"):
        attrs.evolve(draft(), pay_by=T0)
    with pytest.raises(ValidationError, match="deadline is set exactly once placed"):
        attrs.evolve(placed(), pay_by=None)


def _attempt(order: Order, event: OrderEvent, at: dt.datetime) -> Order:
    if event is OrderEvent.PLACE:
        return order.place(at=at, pay_by=at + dt.timedelta(days=1), confirmed=True)
    if event is OrderEvent.PAY:
        return order.mark_paid(at=at, payment_id="pay-1", by=STAFF)
    if event is OrderEvent.FULFIL:
        return order.fulfil(at=at, by=STAFF)
    if event is OrderEvent.CANCEL:
        return order.cancel(at=at, by=STAFF, reason="asked")
    return order.lapse(at=at + dt.timedelta(days=2), by=SCHEDULER)


@given(st.lists(st.sampled_from(list(OrderEvent)), max_size=12))
def test_o4_random_event_sequences_never_leave_the_table(events: list[OrderEvent]) -> None:
    order = draft()
    at = T0
    for step, event in enumerate(events):
        at += dt.timedelta(days=3)
        before = order
        expected = TRANSITIONS.get((order.state, event))
        if expected is None:
            with pytest.raises(InvalidTransitionError):
                _attempt(order, event, at)
            assert order == before
        else:
            order = _attempt(order, event, at)
            # A transition re-checks only what it moves: the order it gives passes every check when rebuilt.
            assert attrs.evolve(order) == order
            assert order.state is expected
            assert order.version == before.version + 1
            assert order.changes[-1].source is before.state
        assert order.state in {s for s, _ in TRANSITIONS} | set(TRANSITIONS.values())
        assert step >= 0
    assert order.version == len(order.changes)


@pytest.mark.parametrize(
    ("field", "value"),
    [("event", "pay"), ("source", None), ("target", "paid"), ("at", "now"), ("by", "st-1"), ("note", None)],
)
def test_o4_bad_change_fields_raise_validation_errors(field: str, value: object) -> None:
    change = placed().changes[0]
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(change, **{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field


def test_o4_next_state() -> None:
    assert next_state(OrderState.PLACED, OrderEvent.PAY) is OrderState.PAID
    with pytest.raises(InvalidTransitionError, match="cannot fulfil an order that is cancelled"):
        next_state(OrderState.CANCELLED, OrderEvent.FULFIL)


# --- O8: payment reminders -------------------------------------------------------------------------------


def test_o8_a_placed_order_is_reminded_once_per_lead_time_then_has_none() -> None:
    pay_by = dt.datetime(2026, 11, 30, 16, 59, 59, 999999, tzinfo=dt.UTC)
    order = draft().place(at=T0, pay_by=pay_by, confirmed=True, reminders=(1, 3))
    assert (order.reminder_days, order.next_reminder_at) == ((3, 1), reminder_at(pay_by, 3))
    with pytest.raises(NotEligibleError) as caught:
        order.remind(at=T0 + dt.timedelta(days=1))
    assert caught.value.rule == "O8"
    first = order.remind(at=reminder_at(pay_by, 3))
    assert (first.reminder_days, first.version, first.state) == ((1,), order.version + 1, OrderState.PLACED)
    assert first.changes == order.changes
    last = first.remind(at=reminder_at(pay_by, 1))
    assert (last.reminder_days, last.next_reminder_at) == ((), None)
    assert last.lapse(at=pay_by, by=SCHEDULER).state is OrderState.LAPSED


def test_o8_no_reminder_once_paid_and_a_draft_has_none() -> None:
    pay_by = dt.datetime(2026, 11, 30, 16, 59, 59, 999999, tzinfo=dt.UTC)
    order = draft().place(at=T0, pay_by=pay_by, confirmed=True, reminders=(3, 1))
    paid = order.mark_paid(at=T0 + dt.timedelta(hours=1), payment_id="pay-1", by=BUYER)
    assert (paid.next_reminder_at, paid.reminder_due(pay_by - dt.timedelta(hours=1))) == (None, None)
    assert draft().next_reminder_at is None


def test_o8_an_order_s_reminders_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(draft(), reminder_days=(1, 3))
    assert (caught.value.rule, caught.value.field) == ("O8", "reminder_days")
    with pytest.raises(ValidationError):
        draft().place(at=T0, pay_by=T0 + dt.timedelta(days=3), confirmed=True, reminders=(0,))


# --- P9: redemptions -------------------------------------------------------------------------------------


def test_p9_placing_reserves_every_applied_code() -> None:
    order = placed()
    reserved = reserve_redemptions(order)
    assert [(r.code, r.order_id, r.customer_id, r.state) for r in reserved] == [
        ("SALE10", "ord-1", "cus-1", RedemptionState.RESERVED),
        ("INV100", "ord-1", "cus-1", RedemptionState.RESERVED),
    ]
    assert all(r.reserved_at == order.placed_at for r in reserved)
    with pytest.raises(InvalidTransitionError) as caught:
        reserve_redemptions(draft())
    assert caught.value.rule == "P9"


def test_p9_payment_consumes_and_cancel_or_lapse_releases() -> None:
    order = placed()
    reserved = reserve_redemptions(order)
    later = T0 + dt.timedelta(days=4)
    paid = order.mark_paid(at=later, payment_id="p", by=STAFF)
    assert {r.state for r in settle_redemptions(paid, reserved, later)} == {RedemptionState.CONSUMED}
    cancelled = order.cancel(at=later, by=STAFF, reason="x")
    assert {r.state for r in settle_redemptions(cancelled, reserved, later)} == {RedemptionState.RELEASED}
    lapsed = order.lapse(at=later, by=SCHEDULER)
    released = settle_redemptions(lapsed, reserved, later)
    assert {r.state for r in released} == {RedemptionState.RELEASED}
    assert all(r.settled_at == later.astimezone(dt.UTC) for r in released)
    with pytest.raises(InvalidTransitionError, match="settles no redemption"):
        settle_redemptions(order, reserved, later)


def test_p9_settling_leaves_other_orders_and_settled_redemptions_alone() -> None:
    order = placed()
    mine = reserve_redemptions(order)[0]
    theirs = Redemption(code="SALE10", order_id="ord-2", customer_id="cus-2", reserved_at=T0)
    done = mine.release(T0)
    paid = order.mark_paid(at=T0 + dt.timedelta(hours=1), payment_id="p", by=STAFF)
    assert settle_redemptions(paid, [theirs, done], T0 + dt.timedelta(hours=1)) == (theirs, done)


def test_p9_a_settled_redemption_does_not_move_again() -> None:
    consumed = Redemption(code="SALE10", order_id="o", customer_id="c", reserved_at=T0).consume(T0)
    with pytest.raises(InvalidTransitionError, match="consumed redemption cannot be released") as caught:
        consumed.release(T0)
    assert caught.value.rule == "P9"
    with pytest.raises(InvalidTransitionError):
        consumed.consume(T0)


def test_p9_reserved_and_consumed_redemptions_count_against_limits() -> None:
    book = [
        Redemption(code="SALE10", order_id="o1", customer_id="cus-1", reserved_at=T0),
        Redemption(code="SALE10", order_id="o2", customer_id="cus-2", reserved_at=T0).consume(T0),
        Redemption(code="SALE10", order_id="o3", customer_id="cus-1", reserved_at=T0).release(T0),
        Redemption(code="INV100", order_id="o4", customer_id="cus-1", reserved_at=T0),
    ]
    counts = count_redemptions(book, "cus-1")
    assert dict(counts.total) == {"SALE10": 2, "INV100": 1}
    assert dict(counts.by_customer) == {"SALE10": 1, "INV100": 1}
    limited = Promotion(code="SALE10", scope=Scope.PACKAGE, benefit=PercentOff(percent=10), redemption_limit=2)
    assert counts.refusal(limited) is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", ""),
        ("order_id", None),
        ("customer_id", 5),
        ("reserved_at", dt.datetime(2026, 1, 1)),  # noqa: DTZ001
        ("state", "reserved"),
    ],
)
def test_p9_bad_redemption_fields_raise_validation_errors(field: str, value: object) -> None:
    fields: dict[str, object] = {"code": "SALE10", "order_id": "o", "customer_id": "c", "reserved_at": T0}
    fields[field] = value
    with pytest.raises(ValidationError) as caught:
        Redemption(**fields)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_o4_o8_a_transition_moves_only_the_life_fields_each_checked_as_when_built() -> None:
    deadline = T0 + dt.timedelta(days=10)
    placed = draft().place(at=T0, pay_by=deadline, confirmed=True, reminders=(3, 1))
    assert attrs.evolve(placed) == placed
    reminded = placed.remind(at=deadline - dt.timedelta(days=3))
    assert attrs.evolve(reminded) == reminded
    assert (reminded.reminder_days, reminded.version, reminded.lines) == ((1,), placed.version + 1, placed.lines)
    with pytest.raises(ValidationError) as frozen:
        placed._moved(grand_total=vnd(1))
    assert (frozen.value.rule, frozen.value.field) == ("C5", "grand_total")
    with pytest.raises(ValidationError) as bad:
        placed._moved(version=-1)
    assert bad.value.field == "version"
    with pytest.raises(ValidationError) as unplaced:
        placed._moved(state=OrderState.DRAFT)
    assert unplaced.value.field == "pay_by"
