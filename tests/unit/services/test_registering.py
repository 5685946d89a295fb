"""Registering customers and promotions through the services (U1, O2, A1-A3, P3)."""

from __future__ import annotations

import attrs
import pytest

from subscription_core.customers import Actor, Customer, InvoiceInfo
from subscription_core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    TransientConflictError,
    ValidationError,
)
from subscription_core.services.commands import NewPurchase
from subscription_core.services.registering import (
    grant_buying_right,
    link_accountant,
    register_customer,
    register_promotion,
)

from .harness import BUYER, STAFF, World, party, promotion, tax_code

SIGNUP = Actor.system("signup")


def register(
    world: World, n: int, *, actor: Actor = STAFF, key: str | None = None, buyers: tuple[str, ...] = ()
) -> Customer:
    details = party(f"Công ty Mới {n}", n, f"ketoan{n}@moi{n}.vn")
    return register_customer(
        world.deps,
        actor,
        name=f"Công ty Cổ phần Mới {n}",
        tax_code=tax_code(n),
        subscriber=details,
        buyers=buyers,
        idempotency_key=key or world.key(),
    )


def test_u1_o2_staff_register_a_customer_who_can_then_buy(world: World) -> None:
    customer = register(world, 41, buyers=("u-41",))
    assert customer.id.startswith("cus")
    assert customer.invoice == InvoiceInfo.same_as(customer.subscriber)  # O2: "same as subscriber" by default
    with world.deps.uow() as uow:
        assert uow.customers.by_tax_code(tax_code(41)) == customer
    buyer = Actor.customer_user("u-41", customer.id)
    order = world.place(NewPurchase(customer_id=customer.id, plan="std", option="1y"), actor=buyer)
    assert order.customer_id == customer.id


def test_a2_the_host_s_sign_up_system_may_register_but_a_customer_may_not(world: World) -> None:
    assert register(world, 42, actor=SIGNUP).tax_code.value == tax_code(42)
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError) as caught:
        register(world, 43, actor=BUYER)
    assert caught.value.rule == "A2"
    assert world.snapshot() == before


def test_u1_a_tax_code_is_registered_once_and_the_refusal_masks_it(world: World) -> None:
    register(world, 44)
    before = world.snapshot()
    with pytest.raises(ConflictError) as caught:
        register(world, 44)
    assert tax_code(44) not in str(caught.value)
    assert tax_code(44) not in repr(caught.value.value)
    assert world.snapshot() == before


def test_u1_a_duplicate_tax_code_is_refused_at_once_without_a_retry(world: World) -> None:
    register(world, 45)
    pauses: list[int] = []
    world.deps = attrs.evolve(world.deps, pause=pauses.append)
    with pytest.raises(ConflictError) as caught:
        register(world, 45)
    assert not isinstance(caught.value, TransientConflictError)
    assert caught.value.rule == "U1"
    assert pauses == []  # refused on the first attempt: a permanent conflict is never run again


def test_u1_a_malformed_tax_code_is_refused_before_anything_is_written(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError) as caught:
        register_customer(
            world.deps,
            STAFF,
            name="Công ty Sai",
            tax_code="0101243151",
            subscriber=party("Công ty Sai", 45, "sai@sai.vn"),
            idempotency_key=world.key(),
        )
    assert caught.value.rule == "U1"
    assert world.snapshot() == before


def test_a_repeated_registration_returns_the_first_customer(world: World) -> None:
    first = register(world, 46, key="signup-46")
    assert register(world, 46, key="signup-46") == first
    with pytest.raises(ConflictError):
        register(world, 47, key="signup-46")  # the same key for another request


def test_a1_staff_grant_a_buying_right_once(world: World) -> None:
    granted = grant_buying_right(world.deps, STAFF, customer_id="cus-3", user_id="u-33", idempotency_key=world.key())
    assert granted.may_buy(Actor.customer_user("u-33", "cus-3"))
    again = grant_buying_right(world.deps, STAFF, customer_id="cus-3", user_id="u-33", idempotency_key=world.key())
    assert again == granted  # nothing changed, not even the version
    with pytest.raises(PermissionDeniedError):
        grant_buying_right(world.deps, BUYER, customer_id="cus-1", user_id="u-9", idempotency_key=world.key())
    with pytest.raises(NotFoundError):
        grant_buying_right(world.deps, STAFF, customer_id="cus-99", user_id="u-9", idempotency_key=world.key())


def test_a3_staff_link_and_unlink_a_known_accountant(world: World) -> None:
    linked = link_accountant(world.deps, STAFF, customer_id="cus-3", accountant_id="acc-2", idempotency_key=world.key())
    assert linked.is_client_of("acc-2")
    unlinked = link_accountant(world.deps, STAFF, customer_id="cus-3", accountant_id=None, idempotency_key=world.key())
    assert unlinked.accountant_id is None
    with pytest.raises(NotFoundError):
        link_accountant(world.deps, STAFF, customer_id="cus-3", accountant_id="acc-9", idempotency_key=world.key())


def test_p3_staff_register_a_promotion_whose_code_is_unique_ignoring_case(world: World) -> None:
    stored = register_promotion(world.deps, STAFF, promotion=promotion("TET2027"), idempotency_key=world.key())
    with world.deps.uow() as uow:
        assert uow.promotions.get("tet2027") == stored
    with pytest.raises(ConflictError):
        register_promotion(world.deps, STAFF, promotion=promotion("tet2027"), idempotency_key=world.key())
    with pytest.raises(PermissionDeniedError):
        register_promotion(world.deps, BUYER, promotion=promotion("MINE"), idempotency_key=world.key())
