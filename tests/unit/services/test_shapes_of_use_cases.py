"""JSON shapes of the use cases' other results and inputs: real ones round-trip and satisfy their schemas.

:mod:`test_shapes` covers the quote, the order and the payment instructions; this covers the rest a host
passes over HTTP: the selectable promotions, the payment link and its page, the bulk-renewal review, the
customer and tax-code answers, the subscription, the scheduler's and invoicing's runs, and the inputs of
renewals, top-ups, retention packages and bulk renewals.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subscription_core.bulk import BulkRenewal, BulkRow, InvoiceTarget, NoticeTarget
from subscription_core.customers import Contact, Customer
from subscription_core.money import Money
from subscription_core.promotions import AmountOff, PercentOff, Scope
from subscription_core.services import (
    AddonChoice,
    Checkout,
    NewPurchase,
    PaymentLink,
    PaymentLinkView,
    RenewalReview,
    SelectablePromotion,
    check_tax_code,
    issue_payment_link,
    issue_pending_invoices,
    open_payment_link,
    payment_link_view,
    renewal_review,
    run_scheduler,
    search_customers,
    selectable_promotions,
)
from subscription_core.services.commands import Renewal, RetentionPackage, StorageTopUp
from subscription_core.shapes import from_dict, schema_of, to_dict
from subscription_core.subscriptions import Subscription

from .harness import ACCOUNTANT, BUYER, STAFF, STRANGER, VND, World, party, promotion, tax_code

RESULTS = (SelectablePromotion, PaymentLink, PaymentLinkView, RenewalReview, Customer, Subscription)
INPUTS = (Renewal, StorageTopUp, RetentionPackage, BulkRenewal)


def _valid(value: object) -> dict[str, Any]:
    """``value`` as JSON text and back, checked against its kind's schema."""
    data: dict[str, Any] = json.loads(json.dumps(to_dict(value)))
    schema = schema_of(type(value))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    return data


def _round_trip(value: object) -> None:
    assert from_dict(_valid(value), type(value)) == value


_OTHER_BUYER = party("Văn phòng KTDV", 99, "hoadon@firm.vn")
_ROWS = (BulkRow(client=tax_code(1), option="1y"), BulkRow(client=tax_code(3), option="1y"))


def _results(world: World) -> list[object]:
    """One of every result this module covers, made by the services."""
    flat = attrs.evolve(promotion("FLAT"), scope=Scope.INVOICE, benefit=AmountOff(amount=Money.of(100_000, VND)))
    world.add(promotion("TEN"), flat)
    first = world.buy(1)
    world.buy(2, actor=STRANGER)
    offered = selectable_promotions(world.deps, BUYER, NewPurchase(customer_id="cus-1", plan="pro", option="1y"))
    order = world.renew(first.id)
    link = issue_payment_link(world.deps, STAFF, order_id=order.id)
    request = BulkRenewal(product="amis", rows=_ROWS, invoice_target=InvoiceTarget.OTHER, other_buyer=_OTHER_BUYER)
    return [
        *offered,
        link,
        open_payment_link(world.deps, link.token),
        payment_link_view(world.deps, link.token),
        renewal_review(world.deps, ACCOUNTANT, request),
        renewal_review(world.deps, ACCOUNTANT, request, codes=("TEN", "NOPE")),  # one applied, one refused
        renewal_review(world.deps, ACCOUNTANT, BulkRenewal(product="amis", rows=(BulkRow(client="x", option=""),))),
        check_tax_code(STAFF, tax_code(1)),
        check_tax_code(STAFF, "0101243151"),
        *search_customers(world.deps, STAFF, "Công ty"),
        world.subscription(first.id),
        run_scheduler(world.deps),
        issue_pending_invoices(world.deps),
    ]


def test_real_results_round_trip_and_satisfy_their_schemas(world: World) -> None:
    results = _results(world)
    assert {type(r) for r in results} >= set(RESULTS)
    for result in results:
        _round_trip(result)


def test_the_review_and_the_link_page_in_json(world: World) -> None:
    results = _results(world)
    review = next(r for r in results if isinstance(r, RenewalReview))
    data = to_dict(review)
    assert data["invoice_target"] == "other"
    assert data["clients"][0]["name"] == "Công ty Cổ phần Số 1"
    assert data["clients"][0]["tax_code"] == tax_code(1)
    assert data["clients"][0]["invoice"]["buyer"]["email"] == "hoadon@firm.vn"
    assert data["clients"][1]["name"] is None  # another firm's client (A3)
    assert data["clients"][1]["problems"][0]["rule"] == "A3"
    assert data["total"] == {"amount": data["clients"][0]["price"]["amount"], "currency": "VND"}
    page = to_dict(next(r for r in results if isinstance(r, PaymentLinkView)))
    assert page["packages"][0]["plan"] == "std"
    assert page["amount"]["currency"] == "VND"
    assert isinstance(page["amount"]["amount"], str)


@pytest.fixture(scope="module")
def shared() -> World:
    """One world for the properties below: the calls they make read only."""
    world = World.make()
    world.buy(1)
    world.buy(2, actor=STRANGER)
    return world


_TYPED_ROWS = st.builds(
    BulkRow,
    client=st.sampled_from([tax_code(1), "HKD-2", tax_code(3), "0000000000", "", "nope"]),
    option=st.sampled_from(["1y", "2y", "9y"]),
    plan=st.sampled_from([None, "std", "pro", "nope"]),
)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(_TYPED_ROWS, min_size=1, max_size=4), other=st.booleans())
def test_drawn_bulk_renewal_reviews_round_trip(shared: World, rows: list[BulkRow], other: bool) -> None:
    target = InvoiceTarget.OTHER if other else InvoiceTarget.CUSTOMER
    request = BulkRenewal(
        product="amis", rows=tuple(rows), invoice_target=target, other_buyer=_OTHER_BUYER if other else None
    )
    _round_trip(request)
    _round_trip(renewal_review(shared.deps, ACCOUNTANT, request))


_PERCENTS = st.integers(1, 100).map(Decimal)
_AMOUNTS = st.integers(1, 20_000_000).map(lambda n: Money.of(n, VND))


@settings(max_examples=30, deadline=None)
@given(
    benefits=st.lists(st.builds(PercentOff, percent=_PERCENTS) | st.builds(AmountOff, amount=_AMOUNTS), max_size=3),
    scope=st.sampled_from([Scope.PACKAGE, Scope.INVOICE]),
    plan=st.sampled_from(["std", "pro", "ent"]),
    training=st.booleans(),
)
def test_drawn_selectable_promotions_and_link_pages_round_trip(
    benefits: list[PercentOff | AmountOff],
    scope: Scope,
    plan: str,
    training: bool,
) -> None:
    world = World.make()
    book = [attrs.evolve(promotion(f"P{i}"), scope=scope, benefit=b) for i, b in enumerate(benefits)]
    world.add(*book)
    addons = (AddonChoice(addon="training"),) if training else ()
    request = NewPurchase(customer_id="cus-1", plan=plan, option="1y", addons=addons)
    for offer in selectable_promotions(world.deps, BUYER, request):
        _round_trip(offer)
    order = world.place(request, checkout=Checkout(confirmed=True))
    _round_trip(payment_link_view(world.deps, issue_payment_link(world.deps, STAFF, order_id=order.id).token))


_CODES = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
_STORAGE = st.just((None, 0)) | st.tuples(_CODES, st.integers(1, 50))  # named exactly when units are bought (S6)
_RENEWALS = _STORAGE.flatmap(
    lambda storage: st.builds(
        Renewal,
        subscription_id=_CODES,
        option=_CODES,
        plan=st.none() | _CODES,
        storage_addon=st.just(storage[0]),
        storage_units=st.just(storage[1]),
        codes=st.lists(_CODES.map(str.upper), max_size=3),
        keep_storage=st.booleans(),
    )
)
_INPUTS = st.one_of(
    _RENEWALS,
    st.builds(StorageTopUp, subscription_id=_CODES, addon=_CODES, quantity=st.integers(1, 99)),
    st.builds(RetentionPackage, subscription_id=_CODES, addon=_CODES, quantity=st.integers(1, 99)),
    st.builds(
        BulkRenewal,
        product=_CODES,
        rows=st.lists(
            st.builds(BulkRow, client=_CODES, option=_CODES, plan=st.none() | _CODES), min_size=1, max_size=3
        ),
        notice_target=st.just(NoticeTarget.OTHER),
        other_recipient=st.just(Contact(name="Chủ doanh nghiệp", email="chu@company1.vn", phone="0912345678")),
    ),
)


@given(value=_INPUTS)
def test_drawn_inputs_round_trip_and_satisfy_their_schemas(value: object) -> None:
    _round_trip(value)


def test_every_schema_is_a_valid_draft_2020_12_schema() -> None:
    for kind in (*RESULTS, *INPUTS):
        jsonschema.Draft202012Validator.check_schema(schema_of(kind))
