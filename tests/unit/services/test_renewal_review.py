"""The review page of a bulk renewal (B1-B4, A3): each client's name and invoice details, read only."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subscription_core.bulk import BulkRenewal, BulkRow, InvoiceTarget, NoticeTarget
from subscription_core.customers import Actor, Contact
from subscription_core.errors import NotFoundError, PermissionDeniedError, ValidationError
from subscription_core.money import Money
from subscription_core.services import (
    ReviewProblem,
    place_bulk_renewal,
    quote_bulk_renewal,
    renewal_review,
    review_bulk_renewal,
)

from .harness import ACCOUNTANT, BUYER, STAFF, STRANGER, VND, World, party, promotion, tax_code

TWO_ROWS = (BulkRow(client=tax_code(1), option="1y"), BulkRow(client="HKD-2", option="2y"))


def _clients(world: World) -> None:
    world.buy(1)
    world.buy(2, actor=STRANGER)
    world.buy(3, actor=STAFF)  # cus-3 is no client of acc-1


def test_b4_the_review_shows_each_clients_name_invoice_details_and_price(world: World) -> None:
    _clients(world)
    request = BulkRenewal(product="amis", rows=TWO_ROWS)
    before = world.snapshot()
    review = renewal_review(world.deps, ACCOUNTANT, request)
    assert world.snapshot() == before  # reads only
    first, second = review.clients
    assert (first.row, first.customer_id, first.name) == (1, "cus-1", "Công ty Cổ phần Số 1")
    assert first.tax_code is not None
    assert first.tax_code.value == tax_code(1)
    assert first.invoice is not None
    assert first.invoice.buyer.email == "owner1@company1.vn"  # B2: the client's own invoice details
    assert first.invoice.buyer.unit_name == "Công ty Số 1"
    assert first.subscriber is not None
    assert first.subscriber.address == "Cầu Giấy, Hà Nội"
    assert second.invoice is not None
    assert second.invoice.buyer.email == "owner2@company2.vn"
    assert (first.plan, first.option, second.option) == ("std", "1y", "2y")
    assert first.last_day is not None
    assert all(c.renewable and not c.problems and c.description for c in review.clients)
    assert review.ready
    assert review.notify.email == "ktdv1@firm.vn"  # B3: the accountant by default
    quoted = quote_bulk_renewal(world.deps, ACCOUNTANT, request)
    assert review.total == quoted.grand_total == Money.of(17_000_000, VND)
    assert review.vat_total == quoted.vat_total
    assert sum((c.price for c in review.clients if c.price is not None), Money.zero(VND)) == review.total
    order = place_bulk_renewal(world.deps, ACCOUNTANT, request, confirmed=True, idempotency_key="b-1")
    assert order.grand_total == review.total
    assert {b.customer_id: b.invoice for b in order.billing} == {c.customer_id: c.invoice for c in review.clients}


def test_b2_b3_the_review_shows_the_typed_in_buyer_and_recipient(world: World) -> None:
    _clients(world)
    other = party("Văn phòng KTDV", 99, "hoadon@firm.vn")
    someone = Contact(name="Chủ doanh nghiệp", email="chu@company1.vn")
    request = BulkRenewal(
        product="amis",
        rows=TWO_ROWS,
        invoice_target=InvoiceTarget.OTHER,
        other_buyer=other,
        notice_target=NoticeTarget.OTHER,
        other_recipient=someone,
    )
    review = renewal_review(world.deps, ACCOUNTANT, request)
    assert review.invoice_target is InvoiceTarget.OTHER
    assert [c.invoice.buyer if c.invoice else None for c in review.clients] == [other, other]
    assert [c.name for c in review.clients] == ["Công ty Cổ phần Số 1", "Công ty Cổ phần Số 2"]
    assert review.notify == someone


def test_a3_b4_invalid_rows_are_shown_with_their_problems_and_reveal_no_other_client(world: World) -> None:
    _clients(world)
    rows = (
        BulkRow(client=tax_code(1), option="1y"),
        BulkRow(client=tax_code(3), option="1y"),  # another firm's (or nobody's) client
        BulkRow(client="0000000000", option="1y"),  # no such customer
        BulkRow(client="HKD-2", option="9y"),  # no such option
    )
    request = BulkRenewal(product="amis", rows=rows)
    review = renewal_review(world.deps, ACCOUNTANT, request)
    ok, other, unknown, bad_option = review.clients
    assert ok.renewable
    assert ok.price is not None
    for hidden in (other, unknown):
        assert (hidden.customer_id, hidden.name, hidden.tax_code, hidden.invoice) == (None, None, None, None)
        assert not hidden.renewable
        assert hidden.price is None
        [problem] = hidden.problems
        assert problem.value is not None
        assert "****" in problem.value  # the typed tax code is masked (A3)
    assert other.problems[0].message == "is not a client of this service accountant"
    assert (bad_option.name, bad_option.renewable, bad_option.price) == ("Công ty Cổ phần Số 2", False, None)
    assert bad_option.invoice is not None  # the client's details still show, to fix the row
    assert [(p.field, p.rule) for p in bad_option.problems] == [("option", "C1")]
    assert not review.ready
    assert review.total == ok.price  # only the renewable rows are priced
    listed = [ReviewProblem.of(p) for p in review_bulk_renewal(world.deps, ACCOUNTANT, request)]
    assert [p for c in review.clients for p in c.problems] == listed


def test_a3_only_a_known_service_accountant_reviews(world: World) -> None:
    _clients(world)
    request = BulkRenewal(product="amis", rows=TWO_ROWS)
    for actor in (BUYER, STAFF):
        with pytest.raises(PermissionDeniedError) as refused:
            renewal_review(world.deps, actor, request)
        assert refused.value.rule == "A3"
    with pytest.raises(NotFoundError) as unknown:
        renewal_review(world.deps, Actor.accountant("acc-9"), request)
    assert not unknown.value.reference  # the actor, not something the request names


def test_an_unknown_product_is_a_reference_not_found_and_a_wrong_request_a_validation_error(world: World) -> None:
    _clients(world)
    with pytest.raises(NotFoundError) as unknown:
        renewal_review(world.deps, ACCOUNTANT, BulkRenewal(product="nope", rows=TWO_ROWS))
    assert unknown.value.reference
    with pytest.raises(ValidationError):
        renewal_review(world.deps, ACCOUNTANT, TWO_ROWS)  # type: ignore[arg-type]


def test_p3_the_review_prices_the_codes_placing_will_ask_for(world: World) -> None:
    _clients(world)
    world.add(promotion("TEN"))
    request = BulkRenewal(product="amis", rows=TWO_ROWS)
    review = renewal_review(world.deps, ACCOUNTANT, request, codes=("ten", "NOPE"))
    quoted = quote_bulk_renewal(world.deps, ACCOUNTANT, request, codes=("TEN",))
    assert review.total == quoted.grand_total < Money.of(17_000_000, VND)
    assert [a.code for a in review.applied] == ["TEN"]
    assert [r.code for r in review.refused] == ["NOPE"]
    order = place_bulk_renewal(world.deps, ACCOUNTANT, request, confirmed=True, idempotency_key="b", codes=("TEN",))
    assert order.grand_total == review.total


def test_b4_with_no_renewable_row_the_total_is_zero(world: World) -> None:
    _clients(world)
    review = renewal_review(world.deps, ACCOUNTANT, BulkRenewal(product="amis", rows=(BulkRow(client="x", option=""),)))
    assert not review.ready
    assert review.total == review.vat_total == Money.zero(VND)


@pytest.fixture(scope="module")
def shared() -> World:
    """One world for the property below: the review reads only, so every example may share it."""
    world = World.make()
    _clients(world)
    return world


_ROWS = st.builds(
    BulkRow,
    client=st.sampled_from([tax_code(1), "HKD-2", " hkd-1 ", tax_code(3), "0000000000", "", "nope"]),
    option=st.sampled_from(["1y", "2y", "9y", ""]),
    plan=st.sampled_from([None, "std", "pro", "nope"]),
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_ROWS, min_size=1, max_size=5))
def test_b4_the_review_agrees_with_the_checks_and_the_quote_placing_uses(shared: World, rows: list[BulkRow]) -> None:
    request = BulkRenewal(product="amis", rows=tuple(rows))
    review = renewal_review(shared.deps, ACCOUNTANT, request)
    problems = review_bulk_renewal(shared.deps, ACCOUNTANT, request)
    assert [c.row for c in review.clients] == list(range(1, len(rows) + 1))
    assert [p for c in review.clients for p in c.problems] == [ReviewProblem.of(p) for p in problems]
    assert review.ready == (not problems)
    assert all(c.renewable == (not c.problems) == (c.price is not None) for c in review.clients)
    assert {c.customer_id for c in review.clients} <= {None, "cus-1", "cus-2"}  # never another firm's client (A3)
    assert sum((c.price for c in review.clients if c.price is not None), Money.zero(VND)) == review.total
    if review.ready:
        assert review.total == quote_bulk_renewal(shared.deps, ACCOUNTANT, request).grand_total


@pytest.mark.parametrize("codes", ["WELCOME10", b"WELCOME10", 10, ["WELCOME10", 7], [""]])
def test_p3_codes_not_a_sequence_of_codes_are_refused_not_read_letter_by_letter(world: World, codes: Any) -> None:
    _clients(world)
    request = BulkRenewal(product="amis", rows=TWO_ROWS)
    before = world.snapshot()
    calls = (
        lambda: renewal_review(world.deps, ACCOUNTANT, request, codes=codes),
        lambda: quote_bulk_renewal(world.deps, ACCOUNTANT, request, codes=codes),
        lambda: place_bulk_renewal(world.deps, ACCOUNTANT, request, confirmed=True, idempotency_key="k", codes=codes),
    )
    for call in calls:
        with pytest.raises(ValidationError) as caught:
            call()
        assert (caught.value.field, caught.value.rule) == ("codes", "P3")
    assert world.snapshot() == before
