"""JSON shapes: real results and drawn inputs round-trip and satisfy their generated schemas."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscription_core.customers import Contact
from subscription_core.errors import ValidationError
from subscription_core.money import Money
from subscription_core.orders import Order
from subscription_core.quotes import Quote
from subscription_core.services import Checkout, NewPurchase, customer_orders, start_payment, subscription_details
from subscription_core.services.commands import AddonChoice
from subscription_core.services.paying import PaymentStarted
from subscription_core.services.queries import OrderSummary, SubscriptionDetail
from subscription_core.services.reconciling import reconcile_statement
from subscription_core.shapes import from_dict, schema_of, to_dict
from subscription_core.statements import ReconciliationReport, StatementLine
from subscription_core.testing import QuoteInputs, amounts, quote_inputs
from subscription_core.transfers import transfer_reference

from .harness import BUYER, STAFF, TRANSFER, VND, World, party

SHAPES = (Money, Quote, Order, OrderSummary, SubscriptionDetail, ReconciliationReport, PaymentStarted)
INPUTS = (NewPurchase, Checkout)


def _valid(value: object) -> dict[str, Any]:
    """``value`` as JSON text and back, checked against its kind's schema."""
    data: dict[str, Any] = json.loads(json.dumps(to_dict(value)))
    schema = schema_of(type(value))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    return data


def _round_trip(value: object) -> None:
    assert from_dict(_valid(value), type(value)) == value


def _results(world: World) -> list[object]:
    """One of every result a host passes over HTTP, made by the services."""
    paid = world.buy()
    order = world.place(NewPurchase(customer_id="cus-1", plan="pro", option="1y"))
    started = start_payment(world.deps, BUYER, order_id=order.id, method=TRANSFER, idempotency_key=world.key())
    world.clock.set(world.clock.now() + dt.timedelta(days=1))
    line = StatementLine.on_date(
        line_id="L1", day=dt.date(2026, 11, 24), amount=order.grand_total, description=transfer_reference(order.id)
    )
    report = reconcile_statement(world.deps, STAFF, [line], statement_id="VCB-1")
    details = subscription_details(world.deps, BUYER, "cus-1", usage={paid.id: {"seats": 3}})
    summaries = customer_orders(world.deps, BUYER, "cus-1")
    return [order.grand_total, world.order(order.id), started, report, *details, *summaries]


def test_real_results_round_trip_and_satisfy_their_schemas(world: World) -> None:
    results = _results(world)
    assert {type(r) for r in results} >= set(SHAPES) - {Quote}
    for result in results:
        _round_trip(result)


def test_money_is_an_amount_text_and_instants_are_utc_with_z(world: World) -> None:
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    data = to_dict(order)
    assert data["grand_total"] == {"amount": "6000000", "currency": "VND"}
    assert data["created_at"] == "2026-11-23T02:00:00Z"
    assert data["priced_on"] == "2026-11-23"
    assert data["kind"] == "new_purchase"
    assert isinstance(data["lines"], list)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=quote_inputs())
def test_quotes_round_trip_and_satisfy_the_schema(inputs: QuoteInputs) -> None:
    _round_trip(inputs.quote())


_CODES = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
_PURCHASES = st.builds(
    NewPurchase,
    customer_id=_CODES,
    plan=_CODES,
    option=_CODES,
    addons=st.lists(
        st.builds(AddonChoice, addon=_CODES, quantity=st.integers(1, 99), cycles=st.none() | st.integers(1, 12))
    ),
    trial_id=st.none() | _CODES,
    codes=st.lists(_CODES.map(str.upper), max_size=3),
)
_CHECKOUTS = st.builds(
    Checkout,
    confirmed=st.booleans(),
    subscriber=st.none() | st.integers(1, 50).map(lambda n: party("Công ty Sao Mai", n, f"ke.toan{n}@saomai.vn")),
    expected_total=st.none() | amounts(VND),
    notify=st.none() | st.just(Contact(name="Nguyễn Văn An", email="an@saomai.vn", phone="0912345678")),
)


@given(value=_PURCHASES | _CHECKOUTS)
def test_inputs_round_trip_and_satisfy_their_schemas(value: NewPurchase | Checkout) -> None:
    _round_trip(value)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _near(data: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``data`` with one key's value replaced by arbitrary JSON, or one key dropped or added."""
    keys = sorted(data)
    return st.one_of(
        st.tuples(st.sampled_from(keys), _JSON).map(lambda kv: {**data, kv[0]: kv[1]}),
        st.sampled_from(keys).map(lambda k: {key: v for key, v in data.items() if key != k}),
        st.tuples(st.text(max_size=8), _JSON).map(lambda kv: {**data, kv[0]: kv[1]}),
    )


_A_PURCHASE = to_dict(NewPurchase(customer_id="cus-1", plan="std", option="1y", addons=(AddonChoice(addon="a"),)))
_A_CHECKOUT = to_dict(Checkout(confirmed=True, expected_total=Money.of(6_000_000, VND)))


@settings(max_examples=300)
@given(kind=st.sampled_from([*INPUTS, Money, Order]), data=_JSON | _near(_A_PURCHASE) | _near(_A_CHECKOUT))
def test_arbitrary_json_either_builds_or_raises_validation_error(kind: type, data: object) -> None:
    built: object = None
    try:
        built = from_dict(data, kind)
    except ValidationError as exc:
        refusal = str(exc)
    else:
        refusal = ""
    assert isinstance(built, kind) if not refusal else "@ $" in refusal


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"customer_id": "cus-1", "plan": "std", "option": "1y", "addons": [{"addon": "a", "quantity": 0}]}, "$"),
        ({"customer_id": "cus-1", "plan": "std", "option": 1}, "$.option"),
        ({"customer_id": "cus-1", "plan": "std", "option": "1y", "colour": "red"}, "$"),
    ],
)
def test_bad_inputs_are_refused_naming_the_path(data: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError, match=f"@ {path.replace('$', '[$]')}"):
        from_dict(data, NewPurchase)


def test_money_refuses_a_float_amount_and_an_instant_needs_its_offset() -> None:
    with pytest.raises(ValidationError, match="decimal text"):
        from_dict({"confirmed": True, "expected_total": {"amount": 6e6, "currency": "VND"}}, Checkout)
    assert from_dict({"amount": "12000000", "currency": "VND"}, Money) == Money.of(12_000_000, VND)
    naive = to_dict(StatementLine.on_date(line_id="L1", day=dt.date(2026, 11, 24), amount=Money.of(1, VND)))
    with pytest.raises(ValidationError, match=r"D2.*@ \$\.booked_at"):
        from_dict({**naive, "booked_at": "2026-11-24T10:00:00"}, StatementLine)


def test_every_schema_is_a_valid_draft_2020_12_schema() -> None:
    for kind in (*SHAPES, *INPUTS):
        schema = schema_of(kind)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)
