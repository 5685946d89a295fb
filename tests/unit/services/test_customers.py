"""Finding customers (U2) and checking tax codes (U1) through the services."""

from __future__ import annotations

import pytest

from subscription_core.customers import TaxCodeKind
from subscription_core.errors import PermissionDeniedError, ValidationError
from subscription_core.services import check_tax_code, search_customers

from .harness import ACCOUNTANT, BUYER, STAFF, World, tax_code


def test_u1_valid_tax_codes_in_canonical_form() -> None:
    code = tax_code(1)
    checked = check_tax_code(BUYER, f" {code[:4]} {code[4:]} ")
    assert (checked.valid, checked.canonical, checked.kind) == (True, code, TaxCodeKind.ENTERPRISE)
    assert check_tax_code(STAFF, f"{code}-001").kind is TaxCodeKind.BRANCH
    assert check_tax_code(STAFF, "001099012345").kind is TaxCodeKind.PERSONAL


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0101243151", "bad check digit"),
        ("01012431", "wrong length"),
        ("01O1243150", "contains letters"),
        ("0101243150-000", "branch 000"),
        ("", "is empty"),
    ],
)
def test_u1_invalid_tax_code_says_why(text: str, reason: str) -> None:
    checked = check_tax_code(BUYER, text)
    assert not checked.valid
    assert checked.reason is not None
    assert reason in checked.reason


def test_u2_staff_find_customers_by_tax_code_or_name(world: World) -> None:
    assert [c.id for c in search_customers(world.deps, STAFF, tax_code(2))] == ["cus-2"]
    assert [c.id for c in search_customers(world.deps, STAFF, "cong ty co phan so 3")] == ["cus-3"]
    assert len(search_customers(world.deps, STAFF, "Công ty")) == 3
    assert len(search_customers(world.deps, STAFF, "Công ty", limit=2)) == 2


def test_u2_an_accountant_finds_its_clients_only(world: World) -> None:
    assert sorted(c.id for c in search_customers(world.deps, ACCOUNTANT, "công ty")) == ["cus-1", "cus-2"]
    assert search_customers(world.deps, ACCOUNTANT, tax_code(3)) == ()


def test_u2_customer_users_do_not_search(world: World) -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        search_customers(world.deps, BUYER, "Công ty")
    assert caught.value.rule == "U2"


@pytest.mark.parametrize(("query", "limit"), [("", 10), ("   ", 10), ("công ty", 0), ("công ty", 10_000)])
def test_u2_bad_searches_refused(world: World, query: str, limit: int) -> None:
    with pytest.raises(ValidationError) as caught:
        search_customers(world.deps, STAFF, query, limit=limit)
    assert caught.value.rule == "U2"
