"""Bulk renewal by a service accountant: rows, row-by-row problems, and the one order (B1-B4, A3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from subscription_core.bulk import (
    BulkRenewal,
    BulkRow,
    CheckedRenewal,
    InvalidRowsError,
    InvoiceTarget,
    NoticeTarget,
    row_problems,
    validate_rows,
)
from subscription_core.catalog import Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.customers import Actor, Contact, Customer, InvoiceInfo, Party, ServiceAccountant
from subscription_core.errors import NotEligibleError, ValidationError
from subscription_core.lifecycle import subscribe
from subscription_core.money import Currency, Money
from subscription_core.order_states import OrderState
from subscription_core.orders import Order, OrderKind
from subscription_core.pricing import quote
from subscription_core.promotions import PercentOff, Promotion, PurchaseKind, Scope
from subscription_core.redemptions import reserve_redemptions
from subscription_core.subscriptions import Entitlement, Opening, State, Subscription
from subscription_core.tax import VatSchedule

VND = Currency.of("VND")
ICT = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=ICT)


def vnd(amount: int) -> Money:
    return Money.of(amount, VND)


def plan(code: str) -> Plan:
    return Plan(
        code=code,
        name=code,
        options=[
            PricingOption(code="1Y", cycle=Cycle(CycleUnit.YEAR), price=vnd(3_000_000)),
            PricingOption(code="2Y", cycle=Cycle(CycleUnit.YEAR), cycles=2, price=vnd(5_500_000)),
        ],
        vat=VatSchedule.flat("KCT"),
    )


ASP = Product(code="ASP", name="MISA ASP Kế toán", plans=[plan("ASP_STD"), plan("ASP_PRO")])
AMIS = Product(code="AMIS", name="AMIS.VN", plans=[plan("PRO")])
CATALOG = Catalog(currency=VND, products=[ASP, AMIS])
ACCOUNTANT = ServiceAccountant(
    id="ktdv-1", name="Đại lý thuế An Phát", contact=Contact(name="Chị Lan", email="lan@anphat.vn")
)


def client(customer_id: str, name: str, tax_code: str, **changes: Any) -> Customer:
    party = Party(unit_name=name, address="Hà Nội", email=f"{customer_id}@khach.vn", tax_code=tax_code)
    fields: dict[str, Any] = {
        "id": customer_id,
        "name": name,
        "tax_code": tax_code,
        "subscriber": party,
        "invoice": InvoiceInfo.same_as(party),
        "accountant_id": "ktdv-1",
    }
    fields.update(changes)
    return Customer(**fields)


CUSTOMERS = (
    client("c1", "Công ty TNHH Minh An", "0101243150"),
    client("c2", "Công ty CP Hòa Bình", "0100684378"),
    client("c3", "Công ty Sao Mai", "0100109106", accountant_id="ktdv-2"),
    client("c4", "Hộ kinh doanh Lan Anh", "001099012345", business_code="HKD-0042"),
    client("c5", "Công ty Đã Xóa", "0101248141"),
    client("c6", "Công ty Không Thuê Bao", "0100112437"),
)


def subscription(
    subscription_id: str, customer_id: str, product: Product = ASP, plan_code: str = "ASP_STD"
) -> Subscription:
    opening = Opening(subscription_id=subscription_id, customer_id=customer_id, product=product)
    entitlement = Entitlement.of(product, plan_code, "1Y")
    return subscribe(opening, entitlement, T0 - dt.timedelta(days=300), actor=Actor.staff("st-1")).subscription


SUBSCRIPTIONS = (
    subscription("s1", "c1"),
    subscription("s2", "c2", plan_code="ASP_PRO"),
    subscription("s3", "c3"),
    subscription("s4a", "c4"),
    subscription("s4b", "c4"),
    attrs.evolve(subscription("s5", "c5"), state=State.PURGED),
    subscription("s6", "c6", product=AMIS, plan_code="PRO"),
)


def check(request: BulkRenewal) -> CheckedRenewal:
    return validate_rows(request, CUSTOMERS, ACCOUNTANT, subscriptions=SUBSCRIPTIONS, catalog=CATALOG)


GOOD_ROWS = (
    BulkRow(client=" 0101 243 150 ", option="1Y"),
    BulkRow(client="0100684378", option="2Y"),
    BulkRow(client="hkd-0042", option="1Y", subscription_id="s4b"),
)


def test_b1_rows_are_resolved_to_clients_and_subscriptions() -> None:
    checked = check(BulkRenewal(product="ASP", rows=GOOD_ROWS))
    assert [(line.row, line.customer.id, line.subscription_id, line.plan, line.option) for line in checked.lines] == [
        (1, "c1", "s1", "ASP_STD", "1Y"),
        (2, "c2", "s2", "ASP_PRO", "2Y"),
        (3, "c4", "s4b", "ASP_STD", "1Y"),
    ]
    assert [(s.plan, s.option, s.ref) for s in checked.selections()] == [
        ("ASP_STD", "1Y", "s1"),
        ("ASP_PRO", "2Y", "s2"),
        ("ASP_STD", "1Y", "s4b"),
    ]


def test_b1_a_row_may_switch_plan() -> None:
    checked = check(BulkRenewal(product="ASP", rows=[BulkRow(client="0101243150", option="1Y", plan="ASP_PRO")]))
    assert checked.lines[0].plan == "ASP_PRO"


def test_b2_b3_defaults_each_clients_invoice_and_the_accountant_is_notified() -> None:
    checked = check(BulkRenewal(product="ASP", rows=GOOD_ROWS))
    assert checked.notify == ACCOUNTANT.contact
    for line in checked.lines:
        assert line.billing.invoice == line.customer.invoice
        assert line.billing.subscriber == line.customer.subscriber


def bulk_order(request: BulkRenewal, promotions: tuple[Promotion, ...] = ()) -> Order:
    checked = check(request)
    q = quote(CATALOG, checked.selections(), as_of=T0.date(), purchase=PurchaseKind.RENEWAL, promotions=promotions)
    return checked.order(q, id="ord-b1", idempotency_key="bulk-1", at=T0)


def test_b5_one_order_for_every_row() -> None:
    order = bulk_order(BulkRenewal(product="ASP", rows=GOOD_ROWS))
    assert (order.kind, order.customer_id, order.state) == (OrderKind.BULK_RENEWAL, None, OrderState.DRAFT)
    assert order.placed_by == Actor.accountant("ktdv-1")
    assert sorted((line.customer_id, line.subscription_id) for line in order.lines) == [
        ("c1", "s1"),
        ("c2", "s2"),
        ("c4", "s4b"),
    ]
    assert order.grand_total == vnd(3_000_000 + 5_500_000 + 3_000_000)
    # One invoice per client (B2 Customer), in the quote's canonical line order (plan code, then ref).
    assert [
        (invoice.buyer.unit_name, [line.subscription_id for line in lines]) for invoice, lines in order.invoices()
    ] == [
        ("Công ty CP Hòa Bình", ["s2"]),
        ("Công ty TNHH Minh An", ["s1"]),
        ("Hộ kinh doanh Lan Anh", ["s4b"]),
    ]
    assert order.notify == ACCOUNTANT.contact
    assert order.billing_for("c2").invoice == CUSTOMERS[1].invoice
    with pytest.raises(ValidationError, match="details per client"):
        _ = order.invoice


def test_b4_the_order_is_placed_only_once_confirmed() -> None:
    order = bulk_order(BulkRenewal(product="ASP", rows=GOOD_ROWS))
    with pytest.raises(NotEligibleError, match="confirm") as caught:
        order.place(at=T0, pay_by=T0 + dt.timedelta(days=7), confirmed=False)
    assert caught.value.rule == "O3"
    assert order.place(at=T0, pay_by=T0 + dt.timedelta(days=7), confirmed=True).state is OrderState.PLACED


def test_p9_a_bulk_orders_redemptions_count_against_the_accountant() -> None:
    promo = Promotion(code="KTDV5", scope=Scope.INVOICE, benefit=PercentOff(percent=5))
    order = bulk_order(BulkRenewal(product="ASP", rows=GOOD_ROWS), (promo,))
    placed = order.place(at=T0, pay_by=T0 + dt.timedelta(days=7), confirmed=True)
    assert [(r.code, r.customer_id) for r in reserve_redemptions(placed)] == [("KTDV5", "ktdv-1")]


def test_b2_invoices_to_other_go_to_the_typed_in_buyer_in_one_invoice() -> None:
    buyer = Party(unit_name="Đại lý thuế An Phát", address="Hà Đông", email="hd@anphat.vn", tax_code="0300588569")
    request = BulkRenewal(product="ASP", rows=GOOD_ROWS, invoice_target=InvoiceTarget.OTHER, other_buyer=buyer)
    checked = check(request)
    assert {line.billing.invoice for line in checked.lines} == {InvoiceInfo.of(buyer)}
    order = bulk_order(request)
    ((invoice, lines),) = order.invoices()
    assert invoice.buyer == buyer
    assert len(lines) == 3


def test_b3_notices_to_other_go_to_the_typed_in_recipient() -> None:
    owner = Contact(name="Anh Minh", email="minh@minhan.vn", phone="0912 345 678")
    request = BulkRenewal(product="ASP", rows=GOOD_ROWS, notice_target=NoticeTarget.OTHER, other_recipient=owner)
    assert check(request).notify == owner


def test_b4_every_problem_of_every_row_is_reported_at_once() -> None:
    rows = [
        BulkRow(client="0101243150", option="1Y"),  # 1: fine
        BulkRow(client="0300588569", option="1Y"),  # 2: a valid tax code no customer has
        BulkRow(client="ABC-123", option="1Y"),  # 3: neither a business code nor a tax code
        BulkRow(client="0100109106", option="1Y"),  # 4: a client of another accountant
        BulkRow(client="0101243150", option="2Y"),  # 5: repeats row 1
        BulkRow(client="0100112437", option="1Y"),  # 6: no ASP subscription
        BulkRow(client="HKD-0042", option="1Y"),  # 7: two subscriptions, none named
        BulkRow(client="0101248141", option="1Y"),  # 8: purged
        BulkRow(client="0100684378", option="3Y"),  # 9: no such option
        BulkRow(client="0100684378", option="1Y", plan="PRO"),  # 10: a plan of another product (and row 2's sub)
        BulkRow(client="", option=""),  # 11: nothing picked
        BulkRow(client="0101243151", option="1Y"),  # 12: bad check digit
        BulkRow(client="HKD-0042", option=" ", subscription_id="s4c"),  # 13: no such subscription
    ]
    with pytest.raises(InvalidRowsError) as caught:
        check(BulkRenewal(product="ASP", rows=rows))
    error = caught.value
    assert isinstance(error, ValidationError)
    assert (error.rule, error.field) == ("B4", "rows")
    assert [(p.row, p.field, p.rule) for p in error.problems] == [
        (2, "client", "A3"),  # an unknown company reads like another firm's client: nothing leaks (A3)
        (3, "client", "B1"),
        (4, "client", "A3"),
        (5, "client", "B4"),
        (6, "subscription_id", "B1"),
        (7, "subscription_id", "B1"),
        (8, "subscription_id", "S1"),
        (9, "option", "C1"),
        (10, "plan", "C1"),
        (10, "client", "B4"),
        (11, "client", "B1"),
        (12, "client", "B1"),
        (13, "subscription_id", "B1"),
    ]
    text = str(error)
    assert "12 rows of the bulk renewal are invalid; nothing is placed" in text
    assert "row 2: client: is not a client of this service accountant (03****8569) [A3]" in text
    assert "row 3: client: not a known business code, nor a tax code: contains letters" in text
    assert "row 5: client: repeats row 1 (s1) [B4]" in text
    assert "row 7: subscription_id: the client holds several; name one of s4a, s4b [B1]" in text
    assert "row 8: subscription_id: a purged subscription cannot be renewed (s5) [S1]" in text
    assert "row 12: client: not a known business code, nor a tax code: bad check digit" in text
    assert "row 13: subscription_id: the client has no subscription s4c to ASP" in text
    assert error.value == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    listed = row_problems(
        BulkRenewal(product="ASP", rows=rows), CUSTOMERS, ACCOUNTANT, subscriptions=SUBSCRIPTIONS, catalog=CATALOG
    )
    assert listed == error.problems


def test_o7_invoice_details_the_e_invoice_refuses_are_reported_row_by_row() -> None:
    long_email = "ke.toan.truong.phong.tai.chinh@congtyhoabinh.com.vn"  # 51 characters; the e-invoice takes 50
    buyer = Party(unit_name="Công ty Hòa Bình", address="Hà Nội", email=long_email)
    request = BulkRenewal(product="ASP", rows=GOOD_ROWS, invoice_target=InvoiceTarget.OTHER, other_buyer=buyer)
    with pytest.raises(InvalidRowsError) as caught:
        check(request)
    problems = caught.value.problems
    assert [(p.row, p.field, p.rule) for p in problems] == [(row, "invoice.email", "O7") for row in (1, 2, 3)]
    assert "at most 50" in problems[0].message
    assert long_email not in str(caught.value)


def test_b4_valid_rows_have_no_problems() -> None:
    request = BulkRenewal(product="ASP", rows=GOOD_ROWS)
    assert row_problems(request, CUSTOMERS, ACCOUNTANT, subscriptions=SUBSCRIPTIONS, catalog=CATALOG) == ()


def test_b4_an_empty_option_is_reported() -> None:
    with pytest.raises(InvalidRowsError) as caught:
        check(BulkRenewal(product="ASP", rows=[BulkRow(client="0101243150", option="")]))
    assert [(p.row, p.field, p.message) for p in caught.value.problems] == [(1, "option", "choose the renewal period")]


def test_a3_only_clients_linked_to_the_accountant_are_renewed() -> None:
    with pytest.raises(InvalidRowsError, match="not a client of this service accountant") as caught:
        check(BulkRenewal(product="ASP", rows=[BulkRow(client="0100109106", option="1Y")]))
    assert [p.rule for p in caught.value.problems] == ["A3"]


def test_b1_the_order_refuses_a_quote_of_other_selections() -> None:
    checked = check(BulkRenewal(product="ASP", rows=GOOD_ROWS))
    partial = quote(CATALOG, checked.selections()[:2], as_of=T0.date(), purchase=PurchaseKind.RENEWAL)
    with pytest.raises(ValidationError, match="exactly the rows' selections"):
        checked.order(partial, id="o", idempotency_key="k", at=T0)
    with pytest.raises(ValidationError, match="must be a Quote"):
        checked.order("quote", id="o", idempotency_key="k", at=T0)  # type: ignore[arg-type]
    new = quote(CATALOG, checked.selections(), as_of=T0.date(), purchase=PurchaseKind.NEW)
    with pytest.raises(ValidationError, match="renewal purchase"):
        checked.order(new, id="o", idempotency_key="k", at=T0)


@pytest.mark.parametrize(
    ("fields", "rule", "field"),
    [
        ({"rows": []}, "B1", "rows"),
        ({"rows": "0101243150"}, "B1", "rows"),
        ({"rows": ["0101243150"]}, "B1", "rows"),
        ({"invoice_target": InvoiceTarget.OTHER}, "B2", "other_buyer"),
        ({"notice_target": NoticeTarget.OTHER}, "B3", "other_recipient"),
        ({"other_recipient": ACCOUNTANT.contact}, "B3", "other_recipient"),
        ({"invoice_target": "other"}, "", "invoice_target"),
        ({"product": None}, "", "product"),
    ],
)
def test_b2_b3_bad_requests_are_refused(fields: dict[str, Any], rule: str, field: str) -> None:
    request: dict[str, Any] = {"product": "ASP", "rows": GOOD_ROWS}
    request.update(fields)
    with pytest.raises(ValidationError) as caught:
        BulkRenewal(**request)
    assert (caught.value.rule, caught.value.field) == (rule, field)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"client": None, "option": "1Y"}, "client"),
        ({"client": "0101243150", "option": 1}, "option"),
        ({"client": "0101243150", "option": "1Y", "plan": 5}, "plan"),
        ({"client": "0101243150", "option": "1Y", "subscription_id": b"s1"}, "subscription_id"),
    ],
)
def test_b1_bad_row_types_are_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BulkRow(**fields)
    assert caught.value.field == field


def test_b4_checked_renewals_refuse_bad_parts() -> None:
    checked = check(BulkRenewal(product="ASP", rows=GOOD_ROWS))
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(checked, notify="lan@anphat.vn")  # type: ignore[arg-type]
    assert caught.value.field == "notify"
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(checked.lines[0], billing=None)  # type: ignore[arg-type]
    assert caught.value.field == "billing"
    for lines in (("s1",), None, list(checked.lines)):
        with pytest.raises(ValidationError):
            attrs.evolve(checked, lines=lines)  # type: ignore[arg-type]


def test_b4_validate_rows_wants_a_request_and_an_accountant() -> None:
    request = BulkRenewal(product="ASP", rows=GOOD_ROWS)
    with pytest.raises(ValidationError, match="BulkRenewal"):
        validate_rows(GOOD_ROWS, CUSTOMERS, ACCOUNTANT, subscriptions=SUBSCRIPTIONS, catalog=CATALOG)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ServiceAccountant") as caught:
        validate_rows(request, CUSTOMERS, Actor.accountant("ktdv-1"), subscriptions=SUBSCRIPTIONS, catalog=CATALOG)  # type: ignore[arg-type]
    assert caught.value.rule == "A3"
    with pytest.raises(ValidationError, match="must be a Catalog"):
        validate_rows(request, CUSTOMERS, ACCOUNTANT, subscriptions=SUBSCRIPTIONS, catalog=None)  # type: ignore[arg-type]
