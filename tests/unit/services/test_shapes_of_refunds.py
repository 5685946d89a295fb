"""JSON shapes of refunds (Y8): real refunds and drawn ones round-trip and satisfy their generated schemas."""

from __future__ import annotations

import json
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import ValidationError
from subscription_core.money import Money
from subscription_core.ports import RefundOutcome
from subscription_core.refunds import Refund, RefundDebit, RefundKind, RefundMethod, RefundState
from subscription_core.services import (
    NewPurchase,
    UnusedTermRefund,
    cancel_order,
    cancel_subscription,
    handle_notification,
    record_bank_refund,
    refund_unapplied,
    start_payment,
    unapplied_money,
)
from subscription_core.shapes import from_dict, schema_of, to_dict
from subscription_core.unapplied import UnappliedMoney, UnappliedReason
from subscription_core_adapters.fakes import FakeRefundGateway

from .harness import BUYER, STAFF, T0, VND, WALLET, World


def _valid(value: object) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(to_dict(value)))
    schema = schema_of(type(value))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    return data


def _round_trip(value: object) -> None:
    assert from_dict(_valid(value), type(value)) == value


def test_y8_real_refunds_round_trip_and_satisfy_their_schema(world: World) -> None:
    gateway = FakeRefundGateway("vnptpay")
    world.deps = attrs.evolve(world.deps, refund_gateways={"vnptpay": gateway})
    order = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    start_payment(world.deps, BUYER, order_id=order.id, method=WALLET, idempotency_key=world.key())
    cancel_order(world.deps, BUYER, order.id, reason="changed", idempotency_key=world.key())
    event = world.event()
    handle_notification(world.deps, "vnptpay", world.notification(order, event=event))
    gateway.knows(event, order.grand_total.amount)
    (held,) = unapplied_money(world.deps, STAFF)
    part = Money.of(1_000_000, VND)
    done = refund_unapplied(world.deps, STAFF, unapplied_id=held.id, amount=part, reason="a", idempotency_key="1")
    gateway.answer_next(RefundOutcome.FAILED)
    failed = refund_unapplied(world.deps, STAFF, unapplied_id=held.id, amount=part, reason="b", idempotency_key="2")
    bank = record_bank_refund(
        world.deps, STAFF, unapplied_id=held.id, reference="HT-1", amount=part, reason="c", idempotency_key="3"
    )
    cancelled = cancel_subscription(world.deps, STAFF, subscription_id=world.buy().id, reason="d", idempotency_key="4")
    with world.deps.uow() as uow:
        money = uow.unapplied.get(held.id)
    assert {done.state, failed.state, bank.state} == set(RefundState)
    for value in (done, failed, bank, money, cancelled.subscription):
        _round_trip(value)
    debit = RefundDebit(line_id="D1", booked_at=T0, amount=part, description="HOAN TIEN HT-1")
    _round_trip(debit)
    _round_trip(UnusedTermRefund(payment_id="pay-1", method=RefundMethod.BANK_TRANSFER, reference="HT-2"))
    assert to_dict(money)["refunding"] == {"amount": "1000000", "currency": "VND"}


# Reasons staff could type: letters (Vietnamese too), digits, punctuation, symbols and spaces, with something
# visible; invisible-only texts (a soft hyphen, a zero-width space) are refused by the library, as they must be.
REASONS = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=40).filter(
    lambda text: any(c.isalnum() for c in text)
)


@given(
    amount=st.integers(1, 10**12),
    reason=REASONS,
    method=st.sampled_from(RefundMethod),
    settle=st.sampled_from(["requested", "succeeded", "failed"]),
)
def test_y8_drawn_refunds_round_trip(amount: int, reason: str, method: RefundMethod, settle: str) -> None:
    refs = {"provider": "vnpay", "payment_reference": "14226112"}
    if method is RefundMethod.BANK_TRANSFER:
        refs = {"reference": "HT-1"}
    refund = Refund.request(
        id="rfd-1",
        kind=RefundKind.UNUSED_TERM,
        amount=Money.of(amount, VND),
        refundable=Money.of(amount, VND),
        method=method,
        at=T0,
        by=STAFF,
        reason=reason,
        subscription_id="sub-1",
        payment_id="pay-1",
        **refs,
    )
    if settle == "succeeded":
        refund = refund.succeed(at=T0, reference="RF-9")
    elif settle == "failed":
        refund = refund.fail(at=T0, failure="refused")
    _round_trip(refund)


def test_y8_unapplied_money_refunded_beyond_its_amount_is_refused_from_json() -> None:
    money = UnappliedMoney(
        id="una-1",
        source="vnpay",
        reference="evt-1",
        amount=Money.of(5, VND),
        received_at=T0,
        recorded_at=T0,
        reason=UnappliedReason.LAPSED,
    )
    data = to_dict(money)
    data["refunded"] = {"amount": "6", "currency": "VND"}
    with pytest.raises(ValidationError):
        from_dict(data, UnappliedMoney)
