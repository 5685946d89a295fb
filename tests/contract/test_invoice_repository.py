"""The InvoiceRepository contract (I1), run on every repository adapter."""

from __future__ import annotations

import pytest

from subscription_core.errors import ConflictError
from subscription_core.ports import UnitOfWorkFactory

from .builders import issued_invoice


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
