"""Customers in SQL: the ``CustomerRepository`` port (U1, U2, S8, A1, A3).

Unique by id and by tax code (a unique key backs the check). Staff search (U2) reads indexed columns: the
tax code by prefix and the folded name (``customers.fold``: no case, no diacritics) by substring.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, or_, select

from subscription_core.customers import Customer, fold, search_query
from subscription_core.errors import ConflictError, NotFoundError, masked
from subscription_core_adapters.sql import schema
from subscription_core_adapters.sql.rows import Rows, check_limit, chunks, of_type
from subscription_core_adapters.sql.serialization import from_document, to_document

__all__ = ["SqlCustomerRepository"]

_T = schema.customers
_BY_IDS = select(_T.c.document).where(_T.c.id.in_(bindparam("ids", expanding=True)))


def _row(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "version": customer.version,
        "name": customer.name,
        "folded_name": fold(customer.name),
        "tax_code": customer.tax_code.value,
        "business_code": customer.business_code,
        "accountant_id": customer.accountant_id,
        "document": to_document(customer),
    }


def _tax_code_taken(tax_code: str) -> ConflictError:
    return ConflictError(
        "another customer already has this tax code", rule="U1", field="tax_code", value=masked(tax_code, "tax_code")
    )


class SqlCustomerRepository:
    """Customers of one unit of work."""

    def __init__(self, rows: Rows) -> None:
        """Work on the unit of work's connection."""
        self._rows = rows

    def _holder_of(self, tax_code: str) -> str | None:
        query = select(_T.c.id).where(_T.c.tax_code == tax_code)
        found: str | None = self._rows.execute(query, "read customers").scalar_one_or_none()
        return found

    def _load(self, query: Any) -> list[Customer]:  # noqa: ANN401 - a SELECT of documents
        return [from_document(doc, Customer) for doc in self._rows.execute(query, "read customers").scalars()]

    def add(self, customer: Customer) -> None:
        """Store a new customer. Raises ``ConflictError`` if the id or the tax code is already stored."""
        of_type(customer, Customer, "customer")
        if self._rows.insert_new(_T, _row(customer), "add the customer"):
            return
        if self._holder_of(customer.tax_code.value) not in (None, customer.id):
            raise _tax_code_taken(customer.tax_code.value)
        raise ConflictError("this customer is already stored", field="id", value=customer.id)

    def get(self, customer_id: str) -> Customer:
        """Return the customer. Raises ``NotFoundError`` if there is none with that id."""
        found = self._load(select(_T.c.document).where(_T.c.id == customer_id))
        if not found:
            raise NotFoundError("no such customer", field="customer_id", value=customer_id)
        return found[0]

    def save(self, customer: Customer, *, expected_version: int) -> None:
        """Replace the stored customer.

        Raises:
            NotFoundError: there is no customer with its id.
            ConflictError: its stored version is not ``expected_version``, or another has its tax code.
        """
        of_type(customer, Customer, "customer")
        self._rows.writing()
        if self._holder_of(customer.tax_code.value) not in (None, customer.id):
            raise _tax_code_taken(customer.tax_code.value)
        row = _row(customer)
        self._rows.replace(_T, row, expected_version=expected_version, noun="customer")

    def by_tax_code(self, tax_code: str) -> Customer | None:
        """The customer with this tax code (already normalized by ``TaxCode``), or ``None`` (U2)."""
        found = self._load(select(_T.c.document).where(_T.c.tax_code == tax_code))
        return found[0] if found else None

    def get_many(self, customer_ids: Sequence[str]) -> dict[str, Customer]:
        """The customers with these ids, by id; ids with no customer are left out (one query per 500 ids)."""
        found: dict[str, Customer] = {}
        for chunk in chunks(customer_ids):
            for document in self._rows.execute(_BY_IDS, "read customers", {"ids": chunk}).scalars():
                customer = from_document(document, Customer)
                found[customer.id] = customer
        return found

    def by_tax_codes(self, tax_codes: Sequence[str]) -> dict[str, Customer]:
        """The customers with these (normalized) tax codes, by tax code; codes nobody has are left out (B1)."""
        found: dict[str, Customer] = {}
        for chunk in chunks(tax_codes):
            for customer in self._load(select(_T.c.document).where(_T.c.tax_code.in_(chunk))):
                found[customer.tax_code.value] = customer
        return found

    def by_business_code(self, business_code: str) -> Customer | None:
        """The customer with this business code (the smallest id if several have it), or ``None`` (B1)."""
        query = select(_T.c.document).where(_T.c.business_code == business_code).order_by(_T.c.id).limit(1)
        found = self._load(query)
        return found[0] if found else None

    def search(self, query: str, *, limit: int = 50) -> list[Customer]:
        """Customers whose tax code starts with, or whose name contains, ``query`` (U2).

        Name matching ignores case and Vietnamese diacritics (``customers.fold``); spaces in a tax code
        query are ignored. Ordered by name, then id; at most ``limit``.

        Raises:
            ValidationError: (U2) a query :func:`~subscription_core.customers.search_query` refuses (empty,
                too long, NUL, a lone surrogate...), or a negative limit.
        """
        query = search_query(query)
        check_limit(limit)
        code, folded = "".join(query.split()), fold(query)
        matches = or_(
            _T.c.tax_code.startswith(code, autoescape=True), _T.c.folded_name.contains(folded, autoescape=True)
        )
        return self._load(select(_T.c.document).where(matches).order_by(_T.c.name, _T.c.id).limit(limit))

    def clients_of(self, accountant_id: str) -> list[Customer]:
        """The customers linked to a service accountant (A3), ordered by id."""
        return self._load(select(_T.c.document).where(_T.c.accountant_id == accountant_id).order_by(_T.c.id))
