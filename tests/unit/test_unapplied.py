"""Unapplied money as a domain value (Y6): its transitions, its checks, and the money-flow diagram."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from subscription_core.customers import Actor
from subscription_core.errors import InvalidTransitionError, PermissionDeniedError, ValidationError
from subscription_core.money import Money
from subscription_core.unapplied import (
    MONEY_FLOW,
    TRANSITIONS,
    UnappliedMoney,
    UnappliedReason,
    UnappliedState,
    mermaid_money_flow,
)

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2027, 1, 4, 2, 0, tzinfo=dt.UTC)
STAFF = Actor.staff("st-1")


def held(**changes: object) -> UnappliedMoney:
    fields: dict[str, object] = {
        "id": "una-1",
        "source": "vnpay",
        "reference": "evt-1",
        "amount": Money.of(6_000_000, "VND"),
        "received_at": T0,
        "recorded_at": T0,
        "reason": UnappliedReason.LAPSED,
        "order_id": "ord-1",
        "customer_id": "cus-1",
    }
    return UnappliedMoney(**(fields | changes))  # type: ignore[arg-type]


def test_y6_docs_money_diagram_is_the_generated_one() -> None:
    text = (ROOT / "docs" / "money.md").read_text(encoding="utf-8")
    block = re.search(r"```mermaid\n(.*?)```", text, flags=re.DOTALL)
    assert block is not None, "docs/money.md has no mermaid block"
    assert block.group(1) == mermaid_money_flow(), "docs/money.md is stale: paste mermaid_money_flow() into it"


def test_y6_every_reason_and_every_transition_is_an_edge_of_the_flow() -> None:
    edges = set(MONEY_FLOW)
    assert {("received", r.value, "open") for r in UnappliedReason} <= edges
    assert {(s.value, e.value, t.value) for (s, e), t in TRANSITIONS.items()} <= edges


def test_y6_refunded_money_names_its_reference_and_cannot_be_applied_after() -> None:
    refunded = held().refund(reference="VCB-RF-1", at=T0, by=STAFF, reason="customer left")
    assert (refunded.state, refunded.refund_reference, refunded.version) == (UnappliedState.REFUNDED, "VCB-RF-1", 1)
    with pytest.raises(InvalidTransitionError) as caught:
        refunded.refund(reference="VCB-RF-2", at=T0, by=STAFF, reason="again")
    assert caught.value.rule == "Y6"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": Money.of(0, "VND")}, "amount"),
        ({"received_at": dt.datetime(2027, 1, 4)}, "received_at"),  # noqa: DTZ001 - naive on purpose
        ({"source": " "}, "source"),
        ({"reason": "lapsed"}, "reason"),
    ],
)
def test_y6_a_malformed_record_is_refused_when_built(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        held(**changes)
    assert caught.value.field == field


def test_a2_only_staff_refund_and_only_with_a_reference_and_a_reason() -> None:
    with pytest.raises(PermissionDeniedError):
        held().refund(reference="R", at=T0, by=Actor.customer_user("u-1", "cus-1"), reason="r")
    with pytest.raises(ValidationError):
        held().refund(reference=" ", at=T0, by=STAFF, reason="r")
    with pytest.raises(ValidationError):
        held().refund(reference="R", at=T0, by=STAFF, reason="")
