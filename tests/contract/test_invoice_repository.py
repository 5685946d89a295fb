"""The InvoiceRepository contract (I1, O7), run on every repository adapter."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from subscription_core.errors import ConflictError, NotFoundError
from subscription_core.invoices import RequestedInvoice
from subscription_core.ports import UnitOfWorkFactory

from .builders import T0, at, invoice_request, issued_invoice


def test_i1_one_invoice_per_order_part(units: UnitOfWorkFactory) -> None:
    first = issued_invoice("ord-1", 0, number="00000001")
    with units() as uow:
        uow.invoices.add(first)
        uow.commit()
    with units() as uow, pytest.raises(ConflictError):
        uow.invoices.add(issued_invoice("ord-1", 0, number="00000002"))
    with units() as uow:
        assert uow.invoices.of_order("ord-1") == [first]


def test_i1_one_invoice_per_order_part_within_one_unit(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.invoices.add(issued_invoice("ord-1", 0, number="00000001"))
        with pytest.raises(ConflictError):
            uow.invoices.add(issued_invoice("ord-1", 0, number="00000002"))


def test_i1_invoices_of_an_order_by_part(units: UnitOfWorkFactory) -> None:
    parts = [issued_invoice("ord-1", part, number=f"0000000{part + 1}") for part in (2, 0, 1)]
    with units() as uow:
        for invoice in parts:
            uow.invoices.add(invoice)
        uow.invoices.add(issued_invoice("ord-2", 0, number="00000009"))
        uow.commit()
    with units() as uow:
        assert uow.invoices.of_order("ord-1") == sorted(parts, key=lambda i: i.part)
        assert uow.invoices.of_order("ord-9") == []


def test_i1_add_many_stores_each_invoice_once(units: UnitOfWorkFactory) -> None:
    invoices = [issued_invoice("ord-1", part) for part in range(3)] + [issued_invoice("ord-2", 0)]
    with units() as uow:
        uow.invoices.add_many(invoices)
        uow.invoices.add_many([])
        uow.commit()
    with units() as uow:
        assert uow.invoices.of_order("ord-1") == invoices[:3]
        assert uow.invoices.of_order("ord-2") == invoices[3:]


def test_i1_add_many_refuses_an_invoice_already_stored_or_given_twice(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.invoices.add(issued_invoice("ord-1", 0))
        uow.commit()
    with units() as uow, pytest.raises(ConflictError):
        uow.invoices.add_many([issued_invoice("ord-1", 1), issued_invoice("ord-1", 0)])
    with units() as uow, pytest.raises(ConflictError):
        uow.invoices.add_many([issued_invoice("ord-2", 0), issued_invoice("ord-2", 0)])
    with units() as uow:
        assert [i.part for i in uow.invoices.of_order("ord-1")] == [0]
        assert uow.invoices.of_order("ord-2") == []


def requested(order_id: str, part: int = 0, *, at: dt.datetime = T0) -> RequestedInvoice:
    """A pending request for invoice ``part`` of ``order_id``, asked for at ``at`` (O7)."""
    request = attrs.evolve(invoice_request(order_id), part=part, requested_at=at)
    return RequestedInvoice.of(request)


def test_o7_requested_invoices_are_kept_pending_once_per_order_part(units: UnitOfWorkFactory) -> None:
    first, second = requested("ord-1", 0), requested("ord-1", 1)
    with units() as uow:
        uow.invoices.request_many([second, first])
        uow.invoices.request_many([])
        uow.commit()
    with units() as uow:
        assert uow.invoices.requested_of("ord-1") == [first, second]
        assert uow.invoices.requested_of("ord-9") == []
        assert uow.invoices.get_request("ord-1", 1) == second
        assert uow.invoices.get_request("ord-1", 2) is None
        assert uow.invoices.of_order("ord-1") == []  # requested is not issued
    with units() as uow, pytest.raises(ConflictError):
        uow.invoices.request_many([requested("ord-1", 2), requested("ord-1", 0)])
    with units() as uow, pytest.raises(ConflictError):
        uow.invoices.request_many([requested("ord-2"), requested("ord-2")])
    with units() as uow:
        assert [r.request.part for r in uow.invoices.requested_of("ord-1")] == [0, 1]
        assert uow.invoices.requested_of("ord-2") == []


def test_o7_a_request_is_invisible_to_others_until_committed(units: UnitOfWorkFactory) -> None:
    with units() as writer:
        writer.invoices.request_many([requested("ord-1")])
        with units() as reader:
            assert reader.invoices.requested_of("ord-1") == []
            assert reader.invoices.pending_requests(limit=10) == []


def test_o7_a_request_is_saved_at_its_expected_version(units: UnitOfWorkFactory) -> None:
    new = requested("ord-1")
    with units() as uow:
        uow.invoices.request_many([new])
        uow.commit()
    failed = new.fail(at=at(0, minutes=1), error="ConnectionError", retry_at=at(0, minutes=6))
    with units() as uow:
        uow.invoices.save_request(failed, expected_version=new.version)
        uow.commit()
    with units() as uow, pytest.raises(ConflictError):
        uow.invoices.save_request(new.issue(at=at(1)), expected_version=new.version)
    with units() as uow, pytest.raises(NotFoundError):
        uow.invoices.save_request(requested("ord-9"), expected_version=0)
    with units() as uow:
        assert uow.invoices.requested_of("ord-1") == [failed]
        assert failed.attempts == 1
        assert failed.last_error == "ConnectionError"


def test_o7_due_requests_are_the_pending_ones_whose_time_has_come_earliest_first(units: UnitOfWorkFactory) -> None:
    early, late, issued = requested("ord-1", at=at(1)), requested("ord-2", at=at(2)), requested("ord-3", at=at(0))
    waiting = requested("ord-4", at=at(0))
    with units() as uow:
        uow.invoices.request_many([late, issued, early, waiting])
        uow.commit()
    retried = waiting.fail(at=at(0), error="ConnectionError", retry_at=at(5))
    done = issued.issue(at=at(0, minutes=1))
    with units() as uow:
        uow.invoices.save_request(retried, expected_version=waiting.version)
        uow.invoices.save_request(done, expected_version=issued.version)
        uow.commit()
    with units() as uow:
        assert uow.invoices.due_requests(at(0), limit=10) == []
        assert uow.invoices.due_requests(at(2), limit=10) == [early, late]
        assert uow.invoices.due_requests(at(2), limit=1) == [early]
        assert uow.invoices.due_requests(at(9), limit=10) == [early, late, retried]
        assert uow.invoices.due_requests(at(9), limit=0) == []


def test_o7_pending_requests_list_what_is_not_issued_earliest_requested_first(units: UnitOfWorkFactory) -> None:
    first, second, third = requested("ord-1", at=at(1)), requested("ord-2", at=at(2)), requested("ord-3", at=at(3))
    with units() as uow:
        uow.invoices.request_many([third, first, second])
        uow.commit()
    retried = third.fail(at=at(3), error="ValidationError: [I1] buyer.name: has 401 characters", retry_at=at(0))
    with units() as uow:
        uow.invoices.save_request(second.issue(at=at(2)), expected_version=second.version)
        uow.invoices.save_request(retried, expected_version=third.version)
        uow.commit()
    with units() as uow:
        assert uow.invoices.pending_requests(limit=10) == [first, retried]
        assert uow.invoices.pending_requests(limit=1) == [first]
