"""Hostile input at every public entry point: the library's own error or a result, never another exception,
never a hang, and nothing stored after a refusal (issue 14).

Hypothesis builds arbitrary JSON-like values (what an HTTP host hands over: text with lone surrogates and
control characters, integers of thousands of digits, floats, NaN, deep nesting) and arbitrary bytes (files,
statements), and feeds them to catalog loading, quoting, the use cases' inputs, the VNPay IPN and statement
reading. Each call runs under a guard that stops it after ``STEP_LIMIT`` seconds of CPU, which only a hang
reaches (the calls take milliseconds). The ``ci`` profile bounds the examples; run longer by hand with
``HYPOTHESIS_PROFILE=fuzz`` (see tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import signal
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscription_core.bulk import BulkRenewal, BulkRow
from subscription_core.catalog import Catalog
from subscription_core.catalog_files import (
    catalog_from_dict,
    catalog_from_json,
    catalog_from_toml,
    catalog_to_dict,
    load_catalog,
)
from subscription_core.customers import Party
from subscription_core.errors import SubscriptionError
from subscription_core.money import Money
from subscription_core.payments import PaymentMethod
from subscription_core.pricing import quote
from subscription_core.promotions import Promotion
from subscription_core.quotes import AddonSelection, PlanSelection
from subscription_core.services import (
    AddonChoice,
    Checkout,
    NewPurchase,
    add_subscription_note,
    handle_notification,
    order_detail,
    payment_link_view,
    place_order,
    quote_for_visitor,
    record_offline_payment,
    register_customer,
    register_promotion,
    renewal_review,
    search_customers,
    selectable_promotions,
    start_payment,
    update_customer,
)
from subscription_core_adapters.gateways import answer_ipn
from subscription_core_adapters.statements import PRESETS, read_statement

from .harness import ACCOUNTANT, BUYER, STAFF, World

ROOT = Path(__file__).resolve().parents[3]
CATALOG = load_catalog(ROOT / "examples" / "catalogs" / "amis_vn.toml")
STEP_LIMIT = 10
"""Seconds of CPU one call may take before it counts as a hang."""
T = TypeVar("T")

FUZZ = settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    deadline=None,
)

# --- what a host might hand over ------------------------------------------------------------------------

texts = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec=None, categories=None), max_size=20),  # lone surrogates included
    st.sampled_from(["", " ", "\x00", "\u202e", "\u200b\u200b", "\ufffe", "1e999999", "NaN", "-0", "9" * 400]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30, max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)),
    max_leaves=12,
)


class _HangError(Exception):
    """A call ran past the guard: a hang."""


@contextlib.contextmanager
def _guard() -> Iterator[None]:
    def stop(_signum: int, _frame: object) -> None:
        raise _HangError

    previous = signal.signal(signal.SIGVTALRM, stop)
    signal.setitimer(signal.ITIMER_VIRTUAL, STEP_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


def answered(call: Callable[[], T]) -> T | SubscriptionError:
    """Run ``call``: its result or the library's error; any other exception, or a hang, fails the test."""
    with _guard():
        try:
            return call()
        except SubscriptionError as refused:
            return refused


def refused_changes_nothing(world: World, call: Callable[[], object]) -> None:
    before = world.snapshot()
    outcome = answered(call)
    if isinstance(outcome, SubscriptionError):
        assert world.snapshot() == before, f"a refused call changed the store: {outcome!r}"


# --- catalog loading and quoting ----------------------------------------------------------------------------


def _mutated(document: Any, path: list[Any], value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    if isinstance(document, dict) and document:
        key = sorted(document, key=str)[head % len(document)]
        return {**document, key: _mutated(document[key], rest, value)}
    if isinstance(document, list) and document:
        index = head % len(document)
        return [*document[:index], _mutated(document[index], rest, value), *document[index + 1 :]]
    return value


GOOD = json.loads(json.dumps(catalog_to_dict(CATALOG)))


@FUZZ
@given(path=st.lists(st.integers(min_value=0, max_value=50), max_size=6), value=json_values)
def test_catalog_from_a_document_with_any_field_replaced_is_loaded_or_refused(path: list[int], value: Any) -> None:
    outcome = answered(lambda: catalog_from_dict(_mutated(GOOD, path, value)))
    assert isinstance(outcome, Catalog | SubscriptionError)
    if isinstance(outcome, Catalog) and outcome.products:
        plan = outcome.products[0].plans[0]
        answered(
            lambda: quote(
                outcome, [PlanSelection(plan=plan.code, option=plan.options[0].code)], as_of=dt.date(2027, 1, 4)
            )
        )


@FUZZ
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_catalog_files_of_any_bytes_are_loaded_or_refused(data: bytes) -> None:
    text = data.decode("utf-8", errors="surrogateescape")
    assert isinstance(answered(lambda: catalog_from_json(text)), Catalog | SubscriptionError)
    assert isinstance(answered(lambda: catalog_from_toml(text)), Catalog | SubscriptionError)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"currency": "VND", "products": [' + "1" * 5000 + "]}",
        "a = " + "[" * 100_000 + "]" * 100_000,
    ],
    ids=["deep-json", "huge-int", "deep-toml"],
)
def test_catalog_files_that_break_the_parser_are_refused_with_a_catalog_error(text: str) -> None:
    loader = catalog_from_toml if text.startswith("a =") else catalog_from_json
    assert isinstance(answered(lambda: loader(text)), SubscriptionError)


@FUZZ
@given(plan=texts, option=texts, addon=texts, quantity=scalars, codes=st.lists(texts, max_size=3), day=scalars)
def test_any_quote_request_is_priced_or_refused(
    plan: str, option: str, addon: str, quantity: object, codes: list[str], day: object
) -> None:
    def ask() -> object:
        selections: list[PlanSelection | AddonSelection] = [
            PlanSelection(plan=plan, option=option),
            AddonSelection(addon=addon, quantity=quantity),  # type: ignore[arg-type]
        ]
        as_of = day if isinstance(day, dt.date) else dt.date(2027, 1, 4)
        return quote(CATALOG, selections, as_of=as_of, codes=codes)

    answered(ask)


# --- the use cases ------------------------------------------------------------------------------------------------


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["unit_name", "address", "tax_code", "phone", "email"]), texts))
def test_any_checkout_details_place_an_order_or_are_refused_leaving_no_trace(fields: dict[str, str]) -> None:
    world = World.make()

    def place() -> object:
        party = Party(**({"unit_name": "Công ty A", "address": "Hà Nội", "email": "a@b.vn"} | fields))
        checkout = Checkout(confirmed=True, subscriber=party)
        request = NewPurchase(customer_id="cus-1", plan="std", option="1y")
        return place_order(world.deps, BUYER, request, checkout, idempotency_key=world.key())

    refused_changes_nothing(world, place)


@FUZZ
@given(customer=texts, plan=texts, option=texts, key=texts, reason=texts)
def test_any_order_request_is_placed_or_refused_leaving_no_trace(
    customer: str, plan: str, option: str, key: str, reason: str
) -> None:
    world = World.make()

    def place() -> object:
        request = NewPurchase(customer_id=customer, plan=plan, option=option)
        return place_order(world.deps, STAFF, request, Checkout(confirmed=True), idempotency_key=key, reason=reason)

    refused_changes_nothing(world, place)


@FUZZ
@given(url=texts | st.text(min_size=300, max_size=2000).map(lambda t: "https://shop.vn/" + t), key=texts)
def test_any_return_url_starts_a_payment_or_is_refused_leaving_no_trace(url: str, key: str) -> None:
    world = World.make()
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    method = PaymentMethod.e_wallet("VNPTPAY")
    refused_changes_nothing(
        world,
        lambda: start_payment(world.deps, BUYER, order_id=order.id, method=method, idempotency_key=key, return_url=url),
    )


@FUZZ
@given(amount=scalars, received=st.one_of(st.none(), st.datetimes(timezones=st.just(dt.UTC))), reason=texts)
def test_any_offline_receipt_is_recorded_or_refused_leaving_no_trace(
    amount: object, received: dt.datetime | None, reason: str
) -> None:
    world = World.make()
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))

    def record() -> object:
        money = amount if isinstance(amount, Money) else Money.of(amount, "VND")
        return record_offline_payment(
            world.deps,
            STAFF,
            order_id=order.id,
            method=PaymentMethod.bank_transfer(),
            amount=money,
            reason=reason,
            idempotency_key=world.key(),
            received_at=received,
        )

    refused_changes_nothing(world, record)


@FUZZ
@given(name=texts, tax_code=texts, query=texts)
def test_any_registration_and_search_is_answered_or_refused(name: str, tax_code: str, query: str) -> None:
    world = World.make()

    def register() -> object:
        party = Party(unit_name=name, address="Hà Nội", email="ketoan@a.vn", tax_code=tax_code)
        return register_customer(
            world.deps, STAFF, name=name, tax_code=tax_code, subscriber=party, idempotency_key=world.key()
        )

    refused_changes_nothing(world, register)
    answered(lambda: search_customers(world.deps, STAFF, query))


PROMOTION_FIELDS = ["code", "scope", "benefit", "name", "valid_from", "valid_until", "min_amount", "targets",
                    "purchase_kinds", "stackable", "redemption_limit", "per_customer_limit"]  # fmt: skip


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(PROMOTION_FIELDS), json_values, max_size=4))
def test_any_promotion_is_refused_when_built_or_registered_and_then_quotes(fields: dict[str, Any]) -> None:
    world = World.make()
    base: dict[str, Any] = {"code": "FUZZ", "scope": "invoice", "benefit": {"percent": "10"}}

    def register() -> object:
        promotion = Promotion(**_promotion_fields(base | fields))
        return register_promotion(world.deps, STAFF, promotion=promotion, idempotency_key=world.key())

    refused_changes_nothing(world, register)
    request = NewPurchase(customer_id="cus-1", plan="std", option="1y", codes=("FUZZ",))
    refused_changes_nothing(world, lambda: world.place(request))  # a registered promotion quotes or is refused


def _promotion_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    from subscription_core.promotions import AmountOff, PercentOff, Scope  # noqa: PLC0415

    out = dict(fields)
    with contextlib.suppress(ValueError, TypeError):
        out["scope"] = Scope(out["scope"])
    benefit = out.get("benefit")
    if isinstance(benefit, dict):
        with contextlib.suppress(SubscriptionError, TypeError):
            out["benefit"] = (
                PercentOff(percent=benefit.get("percent"))
                if "percent" in benefit
                else AmountOff(amount=Money.of(benefit.get("amount"), "VND"))
            )
    return out


# --- provider notifications and statements -------------------------------------------------------------------


@FUZZ
@given(payload=st.dictionaries(texts, texts, max_size=8) | json_values)
def test_any_ipn_payload_is_answered_and_records_nothing_it_cannot_verify(payload: Any) -> None:
    world = World.make()
    before = world.snapshot()
    outcome = answered(lambda: handle_notification(world.deps, "vnptpay", payload))
    if isinstance(outcome, SubscriptionError):
        assert world.snapshot() == before


def test_vnpay_answers_any_ipn_without_raising() -> None:
    from subscription_core_adapters.bootstrap import bootstrap_memory  # noqa: PLC0415
    from subscription_core_adapters.gateways import VnpayConfig, VnpayProvider  # noqa: PLC0415

    config = VnpayConfig(tmn_code="FUZZ0001", hash_secret=b"s" * 32, return_url="https://shop.vn/return")
    provider = VnpayProvider(config)
    services = bootstrap_memory(CATALOG, providers={"vnpay": provider})

    @FUZZ
    @given(payload=st.dictionaries(texts, texts, max_size=8) | json_values)
    def run(payload: Any) -> None:
        with _guard():
            answer = answer_ipn(services, payload)
        assert answer.rsp_code in {"00", "01", "02", "04", "97", "99"}

    run()


@FUZZ
@given(data=st.binary(max_size=2000), preset=st.sampled_from(sorted(PRESETS)))
def test_any_statement_bytes_are_read_or_refused(data: bytes, preset: str) -> None:
    answered(lambda: read_statement(data, PRESETS[preset]))


@FUZZ
@given(amount=st.text("0123456789,.-", min_size=1, max_size=40), day=st.text("0123456789/", max_size=12))
def test_statement_amounts_and_dates_of_any_digits_are_read_or_reported(amount: str, day: str) -> None:
    csv = f'Ngày,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Mô tả\n{day},1,,"{amount}",ND\n'
    answered(lambda: read_statement(csv.encode("utf-8"), PRESETS[min(PRESETS)]))


def test_the_guard_stops_a_hang() -> None:
    with pytest.raises(_HangError):
        answered(lambda: math.factorial(10**9))


# --- the host-kit use cases --------------------------------------------------------------------------------------


@FUZZ
@given(plan=texts, option=texts, codes=st.lists(texts, max_size=3), quantity=scalars)
def test_any_visitor_quote_is_priced_or_refused_and_changes_nothing(
    plan: str, option: str, codes: list[str], quantity: object
) -> None:
    world = World.make()
    before = world.snapshot()

    def ask() -> object:
        addons = (AddonChoice(addon="storage10", quantity=quantity),)  # type: ignore[arg-type]
        return quote_for_visitor(world.deps, plan=plan, option=option, addons=addons, codes=codes)

    answered(ask)
    assert world.snapshot() == before


@FUZZ
@given(order_id=texts, subscription_id=texts, note=texts | st.text(max_size=200), fields=json_values)
def test_any_detail_note_or_customer_edit_is_answered_or_refused_leaving_no_trace(
    order_id: str, subscription_id: str, note: str, fields: Any
) -> None:
    world = World.make()
    sub = world.buy()
    answered(lambda: order_detail(world.deps, BUYER, order_id))
    refused_changes_nothing(
        world, lambda: add_subscription_note(world.deps, BUYER, subscription_id or sub.id, note, world.key())
    )

    def edit() -> object:
        party = Party(**({"unit_name": "Công ty A", "address": "Hà Nội", "email": "a@b.vn"} | _as_party(fields)))
        return update_customer(world.deps, BUYER, "cus-1", subscriber=party, idempotency_key=world.key())

    refused_changes_nothing(world, edit)


def _as_party(fields: Any) -> dict[str, Any]:
    names = ("unit_name", "address", "email", "phone", "tax_code")
    return {k: v for k, v in fields.items() if k in names} if isinstance(fields, dict) else {}


@FUZZ
@given(plan=texts, option=texts, token=texts | st.binary(max_size=80).map(lambda b: b.hex()))
def test_any_selectable_promotions_request_or_payment_link_token_is_answered_and_changes_nothing(
    plan: str, option: str, token: str
) -> None:
    world = World.make()
    before = world.snapshot()
    answered(
        lambda: selectable_promotions(world.deps, BUYER, NewPurchase(customer_id="cus-1", plan=plan, option=option))
    )
    answered(lambda: payment_link_view(world.deps, token))
    assert world.snapshot() == before


@FUZZ
@given(
    product=st.just("amis") | texts,
    rows=st.lists(st.tuples(texts, texts, texts | st.none(), texts | st.none()), max_size=4),
)
def test_any_bulk_renewal_review_is_answered_and_changes_nothing(
    product: str, rows: list[tuple[str, str, str | None, str | None]]
) -> None:
    world = World.make()
    world.buy()
    before = world.snapshot()

    def review() -> object:
        typed = [BulkRow(client=c, option=o, plan=p, subscription_id=s) for c, o, p, s in rows]
        return renewal_review(world.deps, ACCOUNTANT, BulkRenewal(product=product, rows=typed))

    answered(review)
    assert world.snapshot() == before
