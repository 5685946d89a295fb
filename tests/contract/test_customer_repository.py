"""The CustomerRepository contract (U1, U2, A3, B1), run on every repository adapter."""

from __future__ import annotations

import pytest

from subscription_core.customers import Customer
from subscription_core.errors import ConflictError, NotFoundError, ValidationError
from subscription_core.ports import UnitOfWorkFactory

from .builders import customer, tax_code
from .transactions import commit


def store(units: UnitOfWorkFactory, *customers: Customer) -> None:
    with units() as uow:
        for c in customers:
            uow.customers.add(c)
        uow.commit()


def test_u2_added_customer_reads_back_equal(units: UnitOfWorkFactory) -> None:
    stored = customer("cus-1", business_code="HKD-01", accountant_id="acc-1")
    store(units, stored)
    with units() as uow:
        assert uow.customers.get("cus-1") == stored


def test_unknown_customer_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.customers.get("cus-404")


def test_customer_id_is_unique(units: UnitOfWorkFactory) -> None:
    store(units, customer("cus-1", n=1))
    with units() as uow, pytest.raises(ConflictError):
        uow.customers.add(customer("cus-1", n=2))


def test_u1_tax_code_is_unique(units: UnitOfWorkFactory) -> None:
    store(units, customer("cus-1", n=1))
    with units() as uow, pytest.raises(ConflictError):
        uow.customers.add(customer("cus-2", n=1))


def test_u1_tax_code_is_unique_within_one_unit(units: UnitOfWorkFactory) -> None:
    with units() as uow:
        uow.customers.add(customer("cus-1", n=1))
        with pytest.raises(ConflictError):
            uow.customers.add(customer("cus-2", n=1))


def test_saved_customer_replaces_the_stored_one(units: UnitOfWorkFactory) -> None:
    stored = customer("cus-1")
    store(units, stored)
    changed = stored.grant_buying_right("u-1")
    with units() as uow:
        uow.customers.save(changed, expected_version=stored.version)
        uow.commit()
    with units() as uow:
        assert uow.customers.get("cus-1") == changed


def test_save_with_a_stale_version_conflicts(units: UnitOfWorkFactory) -> None:
    stored = customer("cus-1")
    store(units, stored)
    first = stored.grant_buying_right("u-1")
    with units() as uow:
        uow.customers.save(first, expected_version=0)
        uow.commit()
    with pytest.raises(ConflictError):
        commit(units, lambda uow: uow.customers.save(stored.grant_buying_right("u-2"), expected_version=0))
    with units() as uow:
        assert uow.customers.get("cus-1") == first


def test_saving_an_unknown_customer_is_not_found(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(NotFoundError):
        uow.customers.save(customer("cus-404").grant_buying_right("u-1"), expected_version=0)


def test_u2_by_tax_code_finds_the_customer_or_none(units: UnitOfWorkFactory) -> None:
    store(units, customer("cus-1", n=1), customer("cus-2", n=2))
    with units() as uow:
        found = uow.customers.by_tax_code(tax_code(2))
        assert found is not None
        assert found.id == "cus-2"
        assert uow.customers.by_tax_code(tax_code(3)) is None


def test_b1_by_business_code_finds_the_customer_or_none(units: UnitOfWorkFactory) -> None:
    store(units, customer("cus-1", n=1, business_code="HKD-01"), customer("cus-2", n=2))
    with units() as uow:
        found = uow.customers.by_business_code("HKD-01")
        assert found is not None
        assert found.id == "cus-1"
        assert uow.customers.by_business_code("HKD-02") is None


def test_u2_search_by_tax_code_prefix(units: UnitOfWorkFactory) -> None:
    store(units, customer("cus-1", n=1), customer("cus-2", n=2))
    code = tax_code(2)
    with units() as uow:
        assert [c.id for c in uow.customers.search(code[:9])] == ["cus-2"]
        assert [c.id for c in uow.customers.search(code)] == ["cus-2"]


def test_u2_search_by_name_without_diacritics(units: UnitOfWorkFactory) -> None:
    store(
        units,
        customer("cus-1", n=1, name="Công ty Cổ phần Đầu tư Hà Nội"),
        customer("cus-2", n=2, name="Công ty TNHH Phần mềm Sài Gòn"),
        customer("cus-3", n=3, name="Hợp tác xã Nông nghiệp"),
    )
    with units() as uow:
        assert [c.id for c in uow.customers.search("cong ty")] == ["cus-1", "cus-2"]
        assert [c.id for c in uow.customers.search("DAU TU")] == ["cus-1"]
        assert [c.id for c in uow.customers.search("phần mềm")] == ["cus-2"]
        assert uow.customers.search("khong co") == []


def test_u2_search_orders_by_name_then_id_and_honours_the_limit(units: UnitOfWorkFactory) -> None:
    store(
        units,
        customer("cus-3", n=3, name="Công ty B"),
        customer("cus-2", n=2, name="Công ty A"),
        customer("cus-1", n=1, name="Công ty B"),
        customer("cus-4", n=4, name="Công ty C"),
    )
    with units() as uow:
        assert [c.id for c in uow.customers.search("cong ty")] == ["cus-2", "cus-1", "cus-3", "cus-4"]
        assert [c.id for c in uow.customers.search("cong ty", limit=2)] == ["cus-2", "cus-1"]


def test_u2_search_refuses_an_empty_query(units: UnitOfWorkFactory) -> None:
    with units() as uow, pytest.raises(ValidationError) as caught:
        uow.customers.search("  ")
    assert caught.value.rule == "U2"


def test_a3_clients_of_an_accountant_ordered_by_id(units: UnitOfWorkFactory) -> None:
    store(
        units,
        customer("cus-3", n=3, accountant_id="acc-1"),
        customer("cus-1", n=1, accountant_id="acc-1"),
        customer("cus-2", n=2, accountant_id="acc-2"),
        customer("cus-4", n=4),
    )
    with units() as uow:
        assert [c.id for c in uow.customers.clients_of("acc-1")] == ["cus-1", "cus-3"]
        assert uow.customers.clients_of("acc-9") == []


def test_a3_clients_follow_a_saved_link(units: UnitOfWorkFactory) -> None:
    stored = customer("cus-1", accountant_id="acc-1")
    store(units, stored)
    with units() as uow:
        uow.customers.save(stored.link_accountant("acc-2"), expected_version=0)
        uow.commit()
    with units() as uow:
        assert uow.customers.clients_of("acc-1") == []
        assert [c.id for c in uow.customers.clients_of("acc-2")] == ["cus-1"]


def test_b1_customers_read_many_at_once_by_id_and_by_tax_code(units: UnitOfWorkFactory) -> None:
    many = [customer(f"cus-{n}", n=n) for n in range(1, 8)]
    store(units, *many)
    with units() as uow:
        assert uow.customers.get_many([]) == {}
        assert uow.customers.get_many(["cus-3", "cus-9", "cus-1", "cus-3"]) == {"cus-3": many[2], "cus-1": many[0]}
        codes = [many[4].tax_code.value, tax_code(99), many[0].tax_code.value]
        assert uow.customers.by_tax_codes(codes) == {codes[0]: many[4], codes[2]: many[0]}
        assert uow.customers.by_tax_codes([]) == {}


def test_b1_many_customers_read_beyond_one_query_s_worth(units: UnitOfWorkFactory) -> None:
    many = [customer(f"cus-{n:04d}", n=n) for n in range(1, 1202)]
    store(units, *many)
    with units() as uow:
        found = uow.customers.get_many([c.id for c in many])
        by_code = uow.customers.by_tax_codes([c.tax_code.value for c in many])
    assert found == {c.id: c for c in many}
    assert by_code == {c.tax_code.value: c for c in many}


@pytest.mark.parametrize("query", ["\x00", "cong\x00", "\ud800", "a\u202eb", "\u200b\u200b"])
def test_u2_search_refuses_a_query_the_library_does_not_store(units: UnitOfWorkFactory, query: str) -> None:
    # SQLite read NUL as the end of the LIKE pattern and matched everyone; a surrogate broke the driver.
    store(units, customer("cus-1", n=1), customer("cus-2", n=2))
    with units() as uow, pytest.raises(ValidationError) as refused:
        uow.customers.search(query)
    assert (refused.value.rule, refused.value.field) == ("U2", "query")


@pytest.mark.parametrize("key", ["\ud800", "cus\x00-1"])
def test_a_key_no_database_can_hold_is_refused_by_the_library(units: UnitOfWorkFactory, key: str) -> None:
    # No such id can be stored, so none is found; a driver's encoding error never reaches the caller.
    store(units, customer("cus-1", n=1))
    with units() as uow, pytest.raises((NotFoundError, ValidationError)):
        uow.customers.get(key)
