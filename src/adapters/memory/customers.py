"""Customers in memory: the ``CustomerRepository`` port (U1, U2, S8, A1, A3)."""

from __future__ import annotations

from collections.abc import Sequence

from subscription_core.customers import Customer, fold, search_query
from subscription_core.errors import ConflictError, masked
from subscription_core_adapters.memory.tables import TableView, check_limit, checked

__all__ = ["MemoryCustomerRepository"]


class MemoryCustomerRepository:
    """Customers of one unit of work, unique by id and by tax code."""

    def __init__(self, view: TableView[str, Customer]) -> None:
        """Work on ``view``, the unit of work's window on the customers table."""
        self._view = view

    def _check_tax_code(self, customer: Customer) -> None:
        holders = {c.id for c in self._view.lookup("tax_code", customer.tax_code.value)} - {customer.id}
        if holders:
            raise ConflictError(
                "another customer already has this tax code",
                rule="U1",
                field="tax_code",
                value=masked(customer.tax_code.value, "tax_code"),
            )

    def add(self, customer: Customer) -> None:
        """Store a new customer. Raises ``ConflictError`` if the id or the tax code is already stored."""
        self._check_tax_code(checked(customer, Customer, field="customer"))
        self._view.insert(customer.id, customer)

    def get(self, customer_id: str) -> Customer:
        """Return the customer. Raises ``NotFoundError`` if there is none with that id."""
        return self._view.require(customer_id, field="customer_id", shown=customer_id)

    def save(self, customer: Customer, *, expected_version: int) -> None:
        """Replace the stored customer.

        Raises:
            NotFoundError: there is no customer with its id.
            ConflictError: its stored version is not ``expected_version``, or another has its tax code.
        """
        self._check_tax_code(checked(customer, Customer, field="customer"))
        self._view.replace(customer.id, customer, expected_version=expected_version)

    def by_tax_code(self, tax_code: str) -> Customer | None:
        """The customer with this tax code (already normalized by ``TaxCode``), or ``None`` (U2)."""
        found = self._view.lookup("tax_code", tax_code)
        return found[0] if found else None

    def get_many(self, customer_ids: Sequence[str]) -> dict[str, Customer]:
        """The customers with these ids, by id; ids with no customer are left out."""
        found = {}
        for customer_id in dict.fromkeys(customer_ids):
            customer = self._view.get(customer_id)
            if customer is not None:
                found[customer_id] = customer
        return found

    def by_tax_codes(self, tax_codes: Sequence[str]) -> dict[str, Customer]:
        """The customers with these (normalized) tax codes, by tax code; codes nobody has are left out (B1)."""
        found = {}
        for code in dict.fromkeys(tax_codes):
            customer = self.by_tax_code(code)
            if customer is not None:
                found[code] = customer
        return found

    def by_business_code(self, business_code: str) -> Customer | None:
        """The customer with this business code (the smallest id if several have it), or ``None`` (B1)."""
        found = self._view.lookup("business_code", business_code)
        return min(found, key=lambda c: c.id) if found else None

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
        found = self._view.scan(lambda c: c.tax_code.value.startswith(code) or folded in fold(c.name))
        return sorted(found, key=lambda c: (c.name, c.id))[:limit]

    def clients_of(self, accountant_id: str) -> list[Customer]:
        """The customers linked to a service accountant (A3), ordered by id."""
        return sorted(self._view.lookup("accountant", accountant_id), key=lambda c: c.id)
