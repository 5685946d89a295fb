"""The RefundGateway contract (Y8), run on every provider refund API registered in ``REFUND_GATEWAYS``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from subscription_core.ports import RefundOutcome, RefundRequest

from .registry import RefundGatewayHarness

PAID_AT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
STARTED_AT = dt.datetime(2026, 11, 23, 1, 55, tzinfo=dt.UTC)  # when the library started the payment


def request(
    harness: RefundGatewayHarness, refund_id: str = "rfd-1", *, reference: str = "14226112", amount: str = "2000000"
) -> RefundRequest:
    return RefundRequest(
        refund_id=refund_id,
        payment_reference=harness.reference(reference),
        merchant_reference="pay-1",
        paid_at=PAID_AT,
        paid="12000000",
        amount=amount,
        currency="VND",
        requested_by="st-1",
        reason="the customer left",
        started_at=STARTED_AT,
    )


def test_y8_a_refund_of_a_payment_taken_succeeds_once_per_refund_id(refund_gateway: RefundGatewayHarness) -> None:
    gateway = refund_gateway.gateway
    assert isinstance(gateway.name, str)
    assert gateway.name.strip()
    refund_gateway.knows("14226112", Decimal(12_000_000))
    first = gateway.refund(request(refund_gateway))
    assert first.outcome is RefundOutcome.SUCCEEDED
    assert first.reference
    assert gateway.refund(request(refund_gateway)) == first  # asked again: the same answer, never a second refund
    assert gateway.query(request(refund_gateway)).outcome is RefundOutcome.SUCCEEDED
    # The whole payment less the refund above is left: one more đồng is refused.
    assert gateway.refund(request(refund_gateway, "rfd-2", amount="10000001")).outcome is RefundOutcome.FAILED
    assert gateway.refund(request(refund_gateway, "rfd-3", amount="10000000")).outcome is RefundOutcome.SUCCEEDED


def test_y8_a_refund_of_a_payment_never_taken_fails_without_raising(refund_gateway: RefundGatewayHarness) -> None:
    answer = refund_gateway.gateway.refund(request(refund_gateway, reference="no-such-payment"))
    assert answer.outcome is RefundOutcome.FAILED
    assert answer.message


def test_y8_a_refund_never_asked_is_not_reported_done(refund_gateway: RefundGatewayHarness) -> None:
    refund_gateway.knows("14226112", Decimal(12_000_000))
    assert refund_gateway.gateway.query(request(refund_gateway, "rfd-404")).outcome is not RefundOutcome.SUCCEEDED
