"""The InvoiceRepository contract for the decreases refunds ask for (Y8), run on every repository adapter."""

from __future__ import annotations

import datetime as dt

import pytest

from subscription_core.errors import ConflictError, NotFoundError
from subscription_core.money import Money
from subscription_core.ports import UnitOfWorkFactory
from subscription_core.refund_invoices import RequestedAdjustment, refund_lines

from .builders import at, invoice_request


def adjustment(
    refund_id: str, *, order_id: str = "ord-1", part: int = 0, when: dt.datetime | None = None
) -> RequestedAdjustment:
    """A decrease of 100 000 VND of ``order_id``'s invoice for ``refund_id``, requested at ``when``."""
    request = invoice_request(order_id)
    moment = when or at(0)
    return RequestedAdjustment(
        refund_id=refund_id,
        order_id=order_id,
        part=part,
        buyer=request.buyer,
        lines=refund_lines(Money.of(100_000, "VND"), request.vat_totals, refund_id=refund_id),
        reason=f"Điều chỉnh giảm do hoàn tiền {refund_id}",
        requested_at=moment,
        next_attempt_at=moment,
    )


def test_y8_a_decrease_is_requested_once_per_refund_and_part(units: UnitOfWorkFactory) -> None:
    first, second = adjustment("rfd-1", when=at(1)), adjustment("rfd-2", when=at(0))
    with units() as uow:
        uow.invoices.request_adjustments([first, second, adjustment("rfd-3", order_id="ord-2")])
        uow.invoices.request_adjustments([])
        uow.commit()
    with units() as uow:
        assert uow.invoices.adjustments_of("ord-1") == [second, first]
        assert uow.invoices.adjustments_of("ord-9") == []
        assert uow.invoices.get_adjustment("rfd-1", 0) == first
        assert uow.invoices.get_adjustment("rfd-1", 1) is None
    with units() as uow, pytest.raises(ConflictError):
        uow.invoices.request_adjustments([adjustment("rfd-4"), adjustment("rfd-1")])
    with units() as uow, pytest.raises(ConflictError):
        uow.invoices.request_adjustments([adjustment("rfd-5"), adjustment("rfd-5")])
    with units() as uow:
        assert [a.refund_id for a in uow.invoices.adjustments_of("ord-1")] == ["rfd-2", "rfd-1"]


def test_y8_a_decrease_is_invisible_to_others_until_committed(units: UnitOfWorkFactory) -> None:
    with units() as writer:
        writer.invoices.request_adjustments([adjustment("rfd-1")])
        with units() as reader:
            assert reader.invoices.adjustments_of("ord-1") == []
            assert reader.invoices.due_adjustments(at(9), limit=10) == []


def test_y8_a_decrease_is_saved_at_its_expected_version(units: UnitOfWorkFactory) -> None:
    new = adjustment("rfd-1")
    with units() as uow:
        uow.invoices.request_adjustments([new])
        uow.commit()
    failed = new.fail(at=at(0, minutes=1), error="ConnectionError", retry_at=at(0, minutes=6))
    with units() as uow:
        uow.invoices.save_adjustment(failed, expected_version=new.version)
        uow.commit()
    with units() as uow, pytest.raises(ConflictError):
        uow.invoices.save_adjustment(new.issue(at=at(1), number="1C26TAA 00000002"), expected_version=new.version)
    with units() as uow, pytest.raises(NotFoundError):
        uow.invoices.save_adjustment(adjustment("rfd-9"), expected_version=0)
    with units() as uow:
        assert uow.invoices.get_adjustment("rfd-1", 0) == failed


def test_y8_due_decreases_are_the_pending_ones_whose_time_has_come_earliest_first(units: UnitOfWorkFactory) -> None:
    early, late, issued = adjustment("rfd-1", when=at(1)), adjustment("rfd-2", when=at(2)), adjustment("rfd-3")
    waiting = adjustment("rfd-4")
    with units() as uow:
        uow.invoices.request_adjustments([late, issued, early, waiting])
        uow.commit()
    retried = waiting.fail(at=at(0), error="ConnectionError", retry_at=at(5))
    with units() as uow:
        uow.invoices.save_adjustment(retried, expected_version=waiting.version)
        uow.invoices.save_adjustment(issued.issue(at=at(0), number="1C26TAA 00000003"), expected_version=0)
        uow.commit()
    with units() as uow:
        assert uow.invoices.due_adjustments(at(0), limit=10) == []
        assert uow.invoices.due_adjustments(at(2), limit=10) == [early, late]
        assert uow.invoices.due_adjustments(at(2), limit=1) == [early]
        assert uow.invoices.due_adjustments(at(9), limit=10) == [early, late, retried]
