"""Hostile text at the use cases (issue 14): a clear ValidationError naming the field, and nothing changed.

A lone surrogate (which JSON input can carry), NUL, a right-to-left override or a zero-width-only text in
any request text is refused where it enters, before the idempotency fingerprint or a store meets it; a
return URL is checked before it is signed into a provider's redirect (Y2); and a client of a bulk renewal
invoiced to one typed-in buyer sees only its own lines of the shared invoice (B2).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.bulk import BulkRenewal, BulkRow, InvoiceTarget
from subscription_core.customers import Actor
from subscription_core.errors import ValidationError
from subscription_core.money import Money
from subscription_core.services import (
    Checkout,
    NewPurchase,
    cancel_order,
    customer_orders,
    grant_buying_right,
    handle_notification,
    place_bulk_renewal,
    place_order,
    register_customer,
    search_customers,
    start_payment,
    subscription_details,
)
from subscription_core.services.idempotency import fingerprint

from .harness import ACCOUNTANT, BUYER, CONFIRMED, STAFF, STRANGER, VND, WALLET, World, party, tax_code

Call = Callable[[World, str], object]

HOSTILE = {
    "lone surrogate": "Công ty \ud800",
    "NUL": "Công ty\x00ABC",
    "right-to-left override": "Công ty \u202eCBA",
    "zero-width only": "\u200b\u200c\ufeff",
    "escape": "Công ty \x1b[31m",
    "non-character": "Công ty \ufffe",
}

# Each call puts the text in one request field; the field the error must name.
CALLS: dict[str, tuple[Call, str]] = {
    "party name": (
        lambda w, t: register_customer(
            w.deps,
            STAFF,
            name="Công ty Mới",
            tax_code=tax_code(50),
            subscriber=party(t, 50, "a@b.vn"),
            idempotency_key="k",
        ),
        "unit_name",
    ),
    "customer name": (
        lambda w, t: register_customer(
            w.deps, STAFF, name=t, tax_code=tax_code(50), subscriber=party("Công ty", 50, "a@b.vn"), idempotency_key="k"
        ),
        "name",
    ),
    "invoice buyer's name at checkout": (
        lambda w, t: place_order(
            w.deps,
            BUYER,
            NewPurchase(customer_id="cus-1", plan="std", option="1y"),
            Checkout(confirmed=True, invoice=party(t, 1, "ketoan@congty.vn")),
            idempotency_key="k",
        ),
        "unit_name",
    ),
    "reason": (
        lambda w, t: cancel_order(w.deps, STAFF, "ord-0001", reason=t, idempotency_key="k"),
        "reason",
    ),
    "user id": (
        lambda w, t: grant_buying_right(w.deps, STAFF, customer_id="cus-1", user_id=t, idempotency_key="k"),
        "user_id",
    ),
    "customer id": (
        lambda w, t: grant_buying_right(w.deps, STAFF, customer_id=t, user_id="u-7", idempotency_key="k"),
        "customer_id",
    ),
    "customer id of a purchase": (
        lambda w, t: place_order(
            w.deps, BUYER, NewPurchase(customer_id=t, plan="std", option="1y"), CONFIRMED, idempotency_key="k"
        ),
        "customer_id",
    ),
    "buyer's user id": (
        lambda w, t: place_order(
            w.deps,
            Actor.customer_user(t, "cus-1"),
            NewPurchase(customer_id="cus-1", plan="std", option="1y"),
            CONFIRMED,
            idempotency_key="k",
        ),
        "id",
    ),
    "search query": (lambda w, t: search_customers(w.deps, STAFF, t), "query"),
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_hostile_text_in_any_request_field_is_refused_naming_the_field(
    world: World, call: tuple[Call, str], text: str
) -> None:
    world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    make, field = call
    before = world.snapshot()
    with pytest.raises(ValidationError) as refused:
        make(world, text)
    assert refused.value.field.rsplit(".", 1)[-1] == field
    assert world.snapshot() == before


@given(st.dictionaries(st.text(max_size=5), st.text() | st.lists(st.text(), max_size=3), max_size=4))
def test_idempotency_fingerprint_takes_any_text(fields: dict[str, object]) -> None:
    # Lone surrogates included: the digest never raises, and differs from the text without them.
    digest = fingerprint(**{f"f{i}": value for i, value in enumerate(fields.values())}, names=list(fields))
    assert len(digest) == 64
    assert fingerprint(text="a\ud800") != fingerprint(text="a\ud801") != fingerprint(text="a")


def test_u2_search_for_nul_matches_nobody_and_says_why(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        search_customers(world.deps, STAFF, "\x00")
    assert (refused.value.rule, refused.value.field) == ("U2", "query")
    assert "U+0000" in refused.value.message


# --- Y2: the return URL ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://shop.example.vn/return?" + "x" * 100_000, "at most 2000"),
        ("javascript:alert(1)", "http or https"),
        ("ftp://shop.example.vn/return", "http or https"),
        ("https:///return", "http or https"),
        ("https://shop.example.vn/\x00", "U+0000"),
        ("https://shop.example.vn/\ud800", "U+D800"),
    ],
)
def test_y2_a_return_url_is_checked_before_it_is_signed(world: World, url: str, problem: str) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    before = world.snapshot()
    with pytest.raises(ValidationError) as refused:
        start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="k", return_url=url)
    assert (refused.value.rule, refused.value.field) == ("Y2", "return_url")
    assert problem in refused.value.message
    assert world.snapshot() == before


def test_y2_a_plain_return_url_is_taken(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    url = "https://shop.example.vn/return?order=" + order.id
    started = start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key="k", return_url=url)
    assert started.redirect_url is not None


# --- B2: a shared invoice seen by each client ----------------------------------------------------------------


def _shared_invoice(world: World) -> tuple[str, str]:
    first, second = world.buy(1), world.buy(2, actor=STRANGER)
    rows = (BulkRow(client=tax_code(1), option="1y"), BulkRow(client="HKD-2", option="2y"))
    other = party("Văn phòng KTDV", 99, "hoadon@firm.vn")
    request = BulkRenewal(product="amis", rows=rows, invoice_target=InvoiceTarget.OTHER, other_buyer=other)
    order = place_bulk_renewal(world.deps, ACCOUNTANT, request, confirmed=True, idempotency_key="b-1")
    start_payment(world.deps, ACCOUNTANT, order_id=order.id, method=WALLET, idempotency_key="b-2")
    handle_notification(world.deps, "vnptpay", world.notification(order))
    return first.id, second.id


def test_b2_a_client_of_a_shared_invoice_sees_only_its_own_lines(world: World) -> None:
    first, second = _shared_invoice(world)
    (bulk,) = [o for o in world.store.orders.rows.values() if o.kind.value == "bulk_renewal"]
    own_total = {line.customer_id: line.taxable + line.vat for line in bulk.lines}
    for customer_id, actor, subscription_id in [("cus-1", BUYER, first), ("cus-2", STRANGER, second)]:
        (detail,) = subscription_details(world.deps, actor, customer_id)
        assert detail.id == subscription_id
        shared = [i for i in detail.invoices if i.order_id == bulk.id]
        assert len(shared) == 1
        assert shared[0].shared
        assert {line.customer_id for line in shared[0].lines} == {customer_id}
        assert shared[0].total == own_total[customer_id] != bulk.grand_total
        (summary,) = [s for s in customer_orders(world.deps, actor, customer_id) if s.id == bulk.id]
        assert [(i.order_id, i.part, i.total) for i in summary.invoices] == [(bulk.id, 0, own_total[customer_id])]
    assert sum(own_total.values(), Money.zero(VND)) == bulk.grand_total


def test_b2_an_invoice_of_ones_own_is_whole(world: World) -> None:
    sub = world.buy(1)
    (detail,) = subscription_details(world.deps, BUYER, "cus-1")
    (invoice,) = detail.invoices
    order = world.order(invoice.order_id)
    assert detail.id == sub.id
    assert not invoice.shared
    assert invoice.total == order.grand_total
    assert invoice.lines == order.lines
