"""Editing a customer's details (O2, O7, A1, A2): ``update_customer``."""

from __future__ import annotations

import pytest

from subscription_core.customers import Actor, InvoiceInfo, Party
from subscription_core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from subscription_core.services import NewPurchase, update_customer

from .harness import ACCOUNTANT, BUYER, NON_BUYER, STAFF, STRANGER, World, party, tax_code

OTHER_BUYER = party("Chi nhánh Đà Nẵng", 5, "hoadon@danang.vn")


def _moved(**changes: str) -> Party:
    fields = {"unit_name": "Công ty Số 1", "address": "Hải Châu, Đà Nẵng", "email": "ketoan@company1.vn"}
    return Party(tax_code=tax_code(1), **(fields | changes))


def test_o2_the_buyer_edits_the_subscriber_and_a_copied_invoice_follows(world: World) -> None:
    new = _moved()
    edited = update_customer(world.deps, BUYER, "cus-1", subscriber=new, idempotency_key=world.key())
    assert edited.subscriber == new
    assert edited.invoice == InvoiceInfo.same_as(new)
    assert edited.version == 1
    with world.deps.uow() as uow:
        assert uow.customers.get("cus-1") == edited


def test_o2_staff_types_in_other_invoice_details_with_a_reason(world: World) -> None:
    before = world.snapshot()["customers"]["cus-1"]
    edited = update_customer(
        world.deps,
        STAFF,
        "cus-1",
        invoice=InvoiceInfo.of(OTHER_BUYER),
        reason="asked by phone",
        idempotency_key=world.key(),
    )
    assert edited.invoice == InvoiceInfo.of(OTHER_BUYER)
    assert edited.subscriber == before.subscriber
    moved = update_customer(
        world.deps, STAFF, "cus-1", subscriber=_moved(), reason="moved", idempotency_key=world.key()
    )
    assert moved.invoice == InvoiceInfo.of(OTHER_BUYER)  # typed-in invoice details do not follow the subscriber
    assert moved.version == 2


def test_o2_placed_orders_keep_the_details_they_froze(world: World) -> None:
    placed = world.place(NewPurchase(customer_id="cus-1", plan="std", option="1y"))
    update_customer(world.deps, BUYER, "cus-1", subscriber=_moved(), idempotency_key=world.key())
    assert world.order(placed.id).subscriber == placed.subscriber
    assert world.order(placed.id).subscriber.address == "Cầu Giấy, Hà Nội"
    later = world.place(NewPurchase(customer_id="cus-1", plan="pro", option="1y"))
    assert later.subscriber.address == "Hải Châu, Đà Nẵng"


def test_o2_a_repeated_key_answers_the_first_outcome_and_another_input_conflicts(world: World) -> None:
    key = world.key()
    first = update_customer(world.deps, BUYER, "cus-1", subscriber=_moved(), idempotency_key=key)
    again = update_customer(world.deps, BUYER, "cus-1", subscriber=_moved(), idempotency_key=key)
    assert again == first
    with pytest.raises(ConflictError):
        update_customer(world.deps, BUYER, "cus-1", subscriber=_moved(address="Huế"), idempotency_key=key)


def test_o2_the_same_details_save_nothing(world: World) -> None:
    same = world.snapshot()["customers"]["cus-1"]
    kept = update_customer(world.deps, BUYER, "cus-1", subscriber=same.subscriber, idempotency_key=world.key())
    assert kept == same


@pytest.mark.parametrize("actor", [NON_BUYER, STRANGER, ACCOUNTANT, Actor.system("signup")])
def test_a1_only_staff_or_the_customer_s_buyer_edits(world: World, actor: Actor) -> None:
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError) as refused:
        update_customer(world.deps, actor, "cus-1", subscriber=_moved(), idempotency_key=world.key())
    assert refused.value.rule == "A1"
    assert world.snapshot() == before


def test_a2_staff_must_give_a_reason(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError) as refused:
        update_customer(world.deps, STAFF, "cus-1", subscriber=_moved(), idempotency_key=world.key())
    assert (refused.value.rule, refused.value.field) == ("A2", "reason")
    assert world.snapshot() == before


def test_u1_the_tax_code_is_not_changed_here(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError) as refused:
        update_customer(world.deps, BUYER, "cus-1", subscriber=party("X", 9, "x@x.vn"), idempotency_key=world.key())
    assert (refused.value.rule, refused.value.field) == ("U1", "subscriber.tax_code")
    assert tax_code(9) not in str(refused.value)
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("subscriber", "field"),
    [
        (_moved(unit_name="N" * 401), "subscriber.unit_name"),
        (_moved(address="A" * 401), "subscriber.address"),
        (_moved(email=f"{'k' * 46}@x.vn"), "subscriber.email"),  # 51 characters
    ],
)
def test_o7_details_that_do_not_fit_the_e_invoice_are_refused(world: World, subscriber: Party, field: str) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError) as refused:
        update_customer(world.deps, BUYER, "cus-1", subscriber=subscriber, idempotency_key=world.key())
    assert (refused.value.rule, refused.value.field) == ("O7", field)
    assert world.snapshot() == before


def test_o7_typed_in_invoice_details_are_checked_too(world: World) -> None:
    long_name = InvoiceInfo.of(party("B" * 401, 5, "b@b.vn"))
    with pytest.raises(ValidationError) as refused:
        update_customer(world.deps, BUYER, "cus-1", invoice=long_name, idempotency_key=world.key())
    assert refused.value.field == "invoice.unit_name"


@pytest.mark.parametrize(("subscriber", "invoice"), [("Công ty", None), (None, "hoadon@x.vn")])
def test_o2_details_of_the_wrong_type_are_refused(world: World, subscriber: object, invoice: object) -> None:
    with pytest.raises(ValidationError) as refused:
        update_customer(
            world.deps,
            BUYER,
            "cus-1",
            subscriber=subscriber,  # type: ignore[arg-type]
            invoice=invoice,  # type: ignore[arg-type]
            idempotency_key=world.key(),
        )
    assert refused.value.rule == "O2"


def test_o2_an_unknown_customer(world: World) -> None:
    with pytest.raises(NotFoundError):
        update_customer(world.deps, STAFF, "cus-99", subscriber=_moved(), reason="x", idempotency_key=world.key())
