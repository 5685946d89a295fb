"""The converter's documents: plain JSON that reads back equal, and the same through each database."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from subscription_core import subscriptions as subscriptions_module
from subscription_core.customers import Actor, Customer
from subscription_core.entitlements import Entitlement
from subscription_core.errors import ConflictError, ValidationError
from subscription_core.lifecycle import advance, subscribe
from subscription_core.money import Money
from subscription_core.orders import Order
from subscription_core.payments import PaymentProof, ProofState
from subscription_core.promotions import PercentOff, Promotion, PurchaseKind, Scope
from subscription_core.renewals import renew
from subscription_core.subscriptions import Note, Opening, State, Subscription
from subscription_core_adapters.sql import SqlUnitOfWorkFactory
from subscription_core_adapters.sql.schema import customers as customers_table
from subscription_core_adapters.sql.schema import order_lines, subscription_history
from subscription_core_adapters.sql.schema import subscriptions as subscriptions_table
from subscription_core_adapters.sql.serialization import (
    from_document,
    history_entry_document,
    subscription_row_document,
    to_document,
)

from .builders import PRODUCT, STAFF, T0, at, customer, order, subscription
from .strategies import ENTITIES, customers, orders, subscriptions

KINDS = sorted(ENTITIES, key=lambda kind: kind.__name__)

# The database fixtures are made once per test, not per example: each example rolls back what it wrote. Each
# example draws three entities (an order's catalog is the slow part), so at most 100 run even under CI.
ACROSS_EXAMPLES = settings(
    max_examples=min(100, settings().max_examples),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
@given(data=st.data())
def test_every_entity_reads_back_equal_from_its_json_text(kind: type, data: st.DataObject) -> None:
    entity = data.draw(ENTITIES[kind])
    text = json.dumps(to_document(entity), ensure_ascii=False, allow_nan=False)
    assert from_document(json.loads(text), kind) == entity


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
@given(data=st.data())
def test_documents_hold_no_float_and_only_utc_instants(kind: type, data: st.DataObject) -> None:
    found: list[Any] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            found.append(value)

    walk(to_document(data.draw(ENTITIES[kind])))
    assert not [v for v in found if isinstance(v, float)]
    instants = [v for v in found if isinstance(v, str) and len(v) > 19 and v[10:11] == "T" and v[4:5] == "-"]
    assert all(v.endswith("+00:00") for v in instants)


def test_money_is_decimal_text_and_a_currency_code() -> None:
    document = to_document(Money.of("12.50", "USD"))
    assert document == {"amount": "12.50", "currency": "USD"}
    assert from_document(document, Money).amount.as_tuple() == Decimal("12.50").as_tuple()


def test_instants_are_stored_in_utc_and_read_back_equal() -> None:
    local = dt.datetime(2026, 1, 1, 7, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    sub = advance(subscription("sub-1", start=local), local + dt.timedelta(days=40)).subscription
    document = to_document(sub)
    assert document["history"][0]["at"] == "2026-01-01T00:00:00+00:00"
    assert from_document(document, Subscription) == sub


def test_enums_by_value_sets_sorted_and_union_members_tagged() -> None:
    promo = Promotion(
        code="TET",
        scope=Scope.INVOICE,
        benefit=PercentOff(percent=Decimal("7.5")),
        targets={"QLTS", "AMIS", "ASP"},
        purchase_kinds={PurchaseKind.RENEWAL, PurchaseKind.NEW},
    )
    document = to_document(promo)
    assert document["scope"] == "invoice"
    assert document["targets"] == ["AMIS", "ASP", "QLTS"]
    assert document["purchase_kinds"] == ["new", "renewal"]
    assert document["benefit"] == {"percent": "7.5", "cap": None, "type": "percent"}


def test_both_kinds_of_actor_in_a_subscription_history_keep_their_class() -> None:
    sub = advance(subscription("sub-1"), at(400)).subscription  # staff subscribes, the scheduler moves it on
    kinds = [type(entry.actor) for entry in sub.history]
    assert {Actor, subscriptions_module.Actor} <= set(kinds)
    read = from_document(to_document(sub), Subscription)
    assert [type(entry.actor) for entry in read.history] == kinds
    assert read == sub


def test_a_corrupted_document_is_a_validation_error_naming_every_problem() -> None:
    document = to_document(customer("cus-1"))
    document["tax_code"] = "0101243151"
    del document["name"]
    with pytest.raises(ValidationError) as caught:
        from_document(document, Customer)
    assert "Customer.name" in caught.value.message
    assert "tax_code" in caught.value.message


@given(sub=subscriptions())
def test_a_subscription_row_and_its_history_rows_are_its_document_split(sub: Subscription) -> None:
    document = to_document(sub)
    history = document.pop("history")
    row = subscription_row_document(sub)
    assert json.dumps(row) == json.dumps(document)  # the same keys in the same order
    assert [history_entry_document(entry) for entry in sub.history] == history


def test_a_corrupted_item_of_a_tuple_is_named_by_its_index() -> None:
    sub = advance(subscription("sub-1"), at(400)).subscription
    document = to_document(sub)
    document["history"][1]["event"] = "no such event"
    document["quotas"][0] = {"code": "storage"}
    with pytest.raises(ValidationError) as caught:
        from_document(document, Subscription)
    assert "Subscription.history[1].event" in caught.value.message
    assert "Subscription.quotas[0].amount" in caught.value.message
    document["history"] = "not a list"
    with pytest.raises(ValidationError, match=r"Subscription\.history"):
        from_document(document, Subscription)


@ACROSS_EXAMPLES
@given(data=st.data())
def test_entities_read_back_equal_through_the_database(units: SqlUnitOfWorkFactory, data: st.DataObject) -> None:
    customer_, sub, placed = data.draw(customers()), data.draw(subscriptions()), data.draw(orders())
    with units() as uow:  # never committed: each example leaves the database empty
        uow.customers.add(customer_)
        uow.subscriptions.add(sub)
        uow.orders.add(placed)
        assert uow.customers.get(customer_.id) == customer_
        assert uow.subscriptions.get(sub.id) == sub
        assert uow.orders.get(placed.id) == placed


def test_typed_columns_hold_what_queries_need(units: SqlUnitOfWorkFactory) -> None:
    local = dt.datetime(2026, 3, 1, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    sub = advance(subscription("sub-1", start=local), local + dt.timedelta(days=25)).subscription
    with units() as uow:
        uow.customers.add(customer("cus-1", name="Công ty Đầu tư ĐÔNG Á"))
        uow.subscriptions.add(sub)
        uow.orders.add(order("ord-1", pay_by=at(3)))
        uow.commit()
        connection = uow._rows.connection
        folded = connection.execute(select(customers_table.c.folded_name)).scalar_one()
        due, length = connection.execute(
            select(subscriptions_table.c.next_due_at, subscriptions_table.c.history_length)
        ).one()
        history = connection.execute(select(subscription_history.c.position).order_by("position")).scalars().all()
        line = connection.execute(select(order_lines.c.base, order_lines.c.vat, order_lines.c.currency)).one()
    assert folded == "cong ty dau tu dong a"
    assert (due, due.tzinfo) == (sub.next_due_at, dt.UTC)
    assert (length, history) == (len(sub.history), list(range(len(sub.history))))
    assert tuple(line) == (Decimal(500_000), Decimal(50_000), "VND")


def test_a_saved_subscription_appends_only_its_new_history(units: SqlUnitOfWorkFactory) -> None:
    stored = subscription("sub-1", start=T0)
    with units() as uow:
        uow.subscriptions.add(stored)
        uow.commit()
    later = advance(stored, at(400)).subscription
    with units() as uow:
        uow.subscriptions.save(later, expected_version=stored.version)
        uow.commit()
        rows = uow._rows.connection.execute(select(subscription_history.c.document)).scalars().all()
    assert rows == [to_document(entry) for entry in later.history]
    shortened = attrs.evolve(later, history=later.history[:1], version=later.version + 1)
    with units() as uow, pytest.raises(ConflictError, match="append-only") as caught:
        uow.subscriptions.save(shortened, expected_version=later.version)
    assert caught.value.rule == "S9"


def test_s10_s11_a_subscription_stored_before_s11_loads_and_keeps_its_storage_through_its_paid_time(
    units: SqlUnitOfWorkFactory,
) -> None:
    opening = Opening(subscription_id="sub-old", customer_id="cus-1", product=PRODUCT)
    first = subscribe(opening, Entitlement.of(PRODUCT, "ENT", "1Y", extra_storage=20), T0, actor=STAFF).subscription
    renewed = renew(first, Entitlement.of(PRODUCT, "ENT", "1Y"), at(100), actor=STAFF).subscription
    with units() as uow:
        uow.subscriptions.add(renewed)
        uow.commit()
    # As the library wrote it before S11: no storage lines, nothing waiting for a later term.
    old = {k: v for k, v in to_document(renewed).items() if k not in {"history", "storage", "upcoming"}}
    with units() as uow:
        table = subscriptions_table
        uow._rows.connection.execute(update(table).where(table.c.id == "sub-old").values(document=old))
        uow.commit()
    with units() as uow:
        loaded = uow.subscriptions.get("sub-old")
    assert loaded == attrs.evolve(renewed, upcoming=())
    in_second_term = advance(loaded, at(500)).subscription  # 2028-04-07, in the term paid before S11
    assert (in_second_term.state, in_second_term.plan_code, in_second_term.extra_storage) == (State.ACTIVE, "ENT", 20)
    again = renew(in_second_term, Entitlement.of(PRODUCT, "ENT", "1Y"), at(500), actor=STAFF).subscription
    assert advance(again, at(800)).subscription.extra_storage == 0  # the renewal after S11 bought none


def test_o8_an_order_stored_before_payment_reminders_loads_with_none_to_send() -> None:
    placed = order("ord-1", pay_by=at(10))
    document = json.loads(json.dumps(to_document(attrs.evolve(placed, reminder_days=(3, 1)))))
    del document["reminder_days"]  # as written before reminders existed
    old = from_document(document, Order)
    assert old == placed
    assert (old.reminder_days, old.next_reminder_at, old.reminder_due(at(9))) == ((), None, None)
    assert old.lapse(at=at(11), by=Actor.scheduler()).state.value == "lapsed"


def test_o6_an_order_line_stored_before_o6_loads_without_a_grant(units: SqlUnitOfWorkFactory) -> None:
    placed = order("ord-1", pay_by=at(3))
    assert all(line.grant is not None and line.catalog_version for line in placed.lines)
    with units() as uow:
        uow.orders.add(placed)
        uow.commit()
    with units() as uow:  # the line's document as written before O6: no grant, no catalog version
        connection = uow._rows.connection
        for position, document in connection.execute(select(order_lines.c.position, order_lines.c.document)).all():
            old = {key: value for key, value in document.items() if key not in {"grant", "catalog_version"}}
            connection.execute(order_lines.update().where(order_lines.c.position == position).values(document=old))
        uow.commit()
    with units() as uow:
        loaded = uow.orders.get("ord-1")
    lines = tuple(attrs.evolve(line, grant=None, catalog_version="") for line in placed.lines)
    assert loaded == attrs.evolve(placed, lines=lines)


def test_o6_a_frozen_grant_reads_back_equal() -> None:
    line = order("ord-1").lines[0]
    document = to_document(line)
    assert set(document["grant"]) == {"unit", "length", "quotas", "policy"}
    assert document["catalog_version"].startswith("sha256:")
    assert from_document(json.loads(json.dumps(document)), type(line)) == line


def test_texts_documents_stored_before_the_text_check_still_load() -> None:
    # Reasons and notes typed over several lines were stored as typed; they load and read the same after
    # the one text check (issue 14), which takes tab and line breaks in such texts.
    rejection = "Sai số tiền.\nVui lòng chuyển lại\tđủ 6.600.000 đ"
    document = {
        "id": "prf-1",
        "order_id": "ord-1",
        "transfer_content": "SC ORD1",
        "attachment": "proofs/prf-1.png",
        "submitted_at": T0.isoformat(),
        "submitted_by": to_document(Actor.customer_user("u-1", "cus-1")),
        "state": ProofState.REJECTED.value,
        "reviewed_at": T0.isoformat(),
        "reviewed_by": to_document(STAFF),
        "rejection": rejection,
        "version": 1,
    }
    proof = from_document(document, PaymentProof)
    assert proof.rejection == rejection
    assert to_document(proof) == document


def test_s8_a_subscription_stored_before_notes_loads_with_none_and_takes_one(units: SqlUnitOfWorkFactory) -> None:
    opening = Opening(subscription_id="sub-old", customer_id="cus-1", product=PRODUCT)
    first = subscribe(opening, Entitlement.of(PRODUCT, "ENT", "1Y"), T0, actor=STAFF).subscription
    with units() as uow:
        uow.subscriptions.add(first)
        uow.commit()
    old = {k: v for k, v in to_document(first).items() if k not in {"history", "notes"}}  # as written before S8
    with units() as uow:
        table = subscriptions_table
        uow._rows.connection.execute(update(table).where(table.c.id == "sub-old").values(document=old))
        uow.commit()
    with units() as uow:
        loaded = uow.subscriptions.get("sub-old")
        assert loaded == first
        assert loaded.notes == ()
        note = Note(at=at(1), author=Actor.customer_user("u-1", "cus-1"), text="Gọi lại\n\tsau Tết")
        uow.subscriptions.save(loaded.with_note(note), expected_version=loaded.version)
        uow.commit()
    with units() as uow:
        assert uow.subscriptions.get("sub-old").notes == (note,)


def test_a_corrupted_line_of_a_stored_order_is_named_by_its_index(units: SqlUnitOfWorkFactory) -> None:
    placed = order("ord-1", pay_by=at(3))
    with units() as uow:
        uow.orders.add(placed)
        uow.commit()
    with units() as uow:  # the lines are read as their rows are fetched: a bad one is still named, not skipped
        connection = uow._rows.connection
        [(document,)] = connection.execute(select(order_lines.c.document).where(order_lines.c.position == 0)).all()
        bad = {**document, "quantity": "many"}
        connection.execute(order_lines.update().where(order_lines.c.position == 0).values(document=bad))
        uow.commit()
    with units() as uow, pytest.raises(ValidationError) as caught:
        uow.orders.get("ord-1")
    assert "Order.lines[0].quantity" in caught.value.message
