"""Reconciling a bank statement (issue 6): exact matches recorded once, everything else reported (Y3, A2, O4, S9)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscription_core.calendar import VIETNAM_TZ, local_date
from subscription_core.customers import Actor
from subscription_core.errors import PermissionDeniedError, ValidationError
from subscription_core.money import Money
from subscription_core.order_states import OrderState
from subscription_core.orders import Order
from subscription_core.payments import PaymentState
from subscription_core.services import NewPurchase, place_order, record_offline_payment, start_payment
from subscription_core.services.reconciling import reconcile_statement
from subscription_core.statements import LineOutcome, LineResult, Match, ReconciliationReport, StatementLine, assess
from subscription_core.subscriptions import State
from subscription_core.transfers import transfer_reference
from subscription_core_adapters.bootstrap import bootstrap_sql
from subscription_core_adapters.einvoice import InvoiceSeries, Seller
from subscription_core_adapters.fakes import FakePaymentProvider, RecordingNotifier
from subscription_core_adapters.local import ManualClock, SequentialIds

from .harness import ACCOUNTANT, BUYER, CATALOG, CONFIRMED, LINK_KEY, STAFF, T0, TRANSFER, VND, World, customer

BOOKED = dt.date(2026, 11, 24)
"""Tuesday: the day the money reaches the vendor's account (the clock is moved to 10:00 that day)."""
OTHER_STAFF = Actor.staff("st-2")


def _place(world: World, n: int = 1) -> Order:
    actor = BUYER if n == 1 else STAFF
    return world.place(NewPurchase(customer_id=f"cus-{n}", plan="std", option="1y"), actor=actor)


def _line(line_id: str, amount: Money | int, text: str, *, day: dt.date = BOOKED) -> StatementLine:
    money = amount if isinstance(amount, Money) else Money.of(amount, VND)
    return StatementLine.on_date(line_id=line_id, day=day, amount=money, description=text)


def _paying(order: Order, line_id: str, amount: int | None = None, *, noise: str = "CT tu 0011004") -> StatementLine:
    total = int(order.grand_total.amount) if amount is None else amount
    return _line(line_id, total, f"MBVCB.3301.{transfer_reference(order.id)}.{noise}")


def _typo(reference: str) -> str:
    swapped = "1" if reference[5] != "1" else "2"
    return reference[:5] + swapped + reference[6:]


def _tuesday(world: World) -> None:
    world.clock.set(dt.datetime(2026, 11, 24, 10, 0, tzinfo=VIETNAM_TZ))


def _outcomes(report: ReconciliationReport) -> list[tuple[str, LineOutcome]]:
    return [(r.line.line_id, r.outcome) for r in report.results]


def _statement(world: World) -> tuple[list[StatementLine], dict[str, Order]]:
    """Orders of every kind and a statement with one line of each kind of outcome."""
    exact, partial, over, typo, paid = (_place(world, n) for n in (1, 2, 3, 1, 2))
    start_payment(world.deps, BUYER, order_id=exact.id, method=TRANSFER, idempotency_key=world.key())
    world.pay_online(paid, actor=STAFF)
    total = int(exact.grand_total.amount)
    lines = [
        _paying(exact, "L1"),
        _paying(partial, "L2", total - 1_000_000),
        _paying(over, "L3", total + 500_000),
        _line("L4", 2_000_000, "CHUYEN TIEN HOC PHI"),
        _line("L5", total, f"THANH TOAN {_typo(transfer_reference(typo.id))}"),
        _paying(paid, "L6"),
        _paying(exact, "L7"),  # the same transfer made twice by the customer
        _line("L8", total, f"{transfer_reference('ord-unknown')} thanh toan"),
        _line("L9", total, f"{transfer_reference(partial.id)} {transfer_reference(over.id)}"),
        _line("L10", Money.of("240.00", "USD"), f"{transfer_reference(typo.id)}"),
    ]
    _tuesday(world)
    return lines, {"exact": exact, "partial": partial, "over": over, "typo": typo, "paid": paid}


EXPECTED = [
    ("L1", LineOutcome.RECORDED),
    ("L2", LineOutcome.PARTIAL),
    ("L3", LineOutcome.OVERPAID),
    ("L4", LineOutcome.NO_REFERENCE),
    ("L5", LineOutcome.UNKNOWN_REFERENCE),
    ("L6", LineOutcome.NOT_AWAITING),
    ("L7", LineOutcome.NOT_AWAITING),
    ("L8", LineOutcome.UNKNOWN_REFERENCE),
    ("L9", LineOutcome.AMBIGUOUS),
    ("L10", LineOutcome.CURRENCY),
]


def test_y3_each_line_gets_its_outcome_and_only_the_exact_match_is_recorded(world: World) -> None:
    lines, orders = _statement(world)
    report = reconcile_statement(world.deps, STAFF, lines, statement_id="VCB-2026-11-24")
    assert _outcomes(report) == EXPECTED
    assert report.counts[LineOutcome.RECORDED] == 1
    assert report.counts[LineOutcome.ALREADY_RECORDED] == 0
    assert [r.line.line_id for r in report.needs_staff] == [name for name, _ in EXPECTED[1:]]
    assert world.order(orders["exact"].id).state is OrderState.FULFILLED
    for name in ("partial", "over", "typo"):
        assert world.order(orders[name].id).state is OrderState.PLACED
    by_id = {r.line.line_id: r for r in report.results}
    assert by_id["L2"].expected == orders["partial"].grand_total
    assert by_id["L2"].order_id == orders["partial"].id
    assert "1,000,000 VND missing" in by_id["L2"].note
    assert "500,000 VND too much" in by_id["L3"].note
    assert "mistyped" in by_id["L5"].note
    assert by_id["L7"].order_id == orders["exact"].id
    assert by_id["L1"].payment_id == by_id["L7"].payment_id == world.order(orders["exact"].id).payment_id


def test_y3_notes_and_reprs_never_show_the_transfer_text(world: World) -> None:
    lines, _orders = _statement(world)
    report = reconcile_statement(world.deps, STAFF, lines, statement_id="st-1")
    for result in report.results:
        assert "CT tu" not in result.note
        assert "HOC PHI" not in result.note
        assert "HOC PHI" not in repr(result)
        assert "CT tu" not in repr(result)


def test_y3_d4_a_recorded_line_awaits_activation_as_record_offline_payment_sets_it(world: World) -> None:
    other = World.make()
    order, twin = _place(world), _place(other)
    _tuesday(world)
    _tuesday(other)
    report = reconcile_statement(world.deps, STAFF, [_paying(order, "FT1")], statement_id="VCB-1")
    line = report.results[0].line
    record_offline_payment(
        other.deps,
        STAFF,
        order_id=twin.id,
        method=TRANSFER,
        amount=twin.grand_total,
        reason="transfer seen on the statement",
        idempotency_key="o-1",
        received_at=line.booked_at,
    )
    sub, sub_twin = world.subscription(order.lines[0].ref), other.subscription(twin.lines[0].ref)
    assert sub.state is sub_twin.state is State.AWAITING_ACTIVATION
    assert sub.pending is not None
    assert sub_twin.pending is not None
    assert sub.pending.activate_by == sub_twin.pending.activate_by
    assert local_date(sub.pending.activate_by) == dt.date(2026, 11, 25)  # D4: the next business day
    assert sub.pending.received_at == line.booked_at
    paid = world.order(order.id)
    assert paid.state is OrderState.FULFILLED
    assert paid.payment_id == report.results[0].payment_id


def test_s9_the_history_names_the_statement_the_line_and_the_staff_member(world: World) -> None:
    order = _place(world)
    _tuesday(world)
    reconcile_statement(world.deps, STAFF, [_paying(order, "FT1")], statement_id="VCB-1")
    entry = world.subscription(order.lines[0].ref).history[-1]
    assert entry.actor == STAFF
    assert "bank statement VCB-1, line FT1" in entry.reason


def test_y3_a_started_transfer_payment_is_the_one_settled(world: World) -> None:
    order = _place(world)
    start_payment(world.deps, BUYER, order_id=order.id, method=TRANSFER, idempotency_key="p-1")
    _tuesday(world)
    reconcile_statement(world.deps, STAFF, [_paying(order, "FT1")], statement_id="VCB-1")
    with world.deps.uow() as uow:
        payments = uow.payments.of_order(order.id)
    assert [(p.state, p.method.kind) for p in payments] == [(PaymentState.SUCCEEDED, TRANSFER.kind)]
    assert payments[0].received_by == STAFF


def test_y3_reimporting_the_same_statement_changes_nothing(world: World) -> None:
    lines, _orders = _statement(world)
    first = reconcile_statement(world.deps, STAFF, lines, statement_id="VCB-2026-11-24")
    before = world.snapshot()
    again = reconcile_statement(world.deps, STAFF, lines, statement_id="VCB-2026-11-24")
    assert world.snapshot() == before
    # A line recorded, or kept as unapplied money (Y6), is recorded already; the others are reported again.
    kept = {r.line.line_id for r in first.results if r.unapplied_id is not None}
    expected = [(n, LineOutcome.ALREADY_RECORDED if o is LineOutcome.RECORDED or n in kept else o) for n, o in EXPECTED]
    assert _outcomes(again) == expected
    assert [r.unapplied_id for r in again.results] == [r.unapplied_id for r in first.results]
    assert again.results[0].order_id == first.results[0].order_id
    assert again.results[0].payment_id == first.results[0].payment_id
    assert "VCB-2026-11-24" in again.results[0].note


def test_y3_an_overlapping_statement_imported_by_another_member_of_staff_records_nothing_twice(world: World) -> None:
    first, second = _place(world), _place(world, 2)
    _tuesday(world)
    reconcile_statement(world.deps, STAFF, [_paying(first, "FT1")], statement_id="november-week-4")
    before_second = world.snapshot()
    report = reconcile_statement(
        world.deps, OTHER_STAFF, [_paying(first, "FT1"), _paying(second, "FT2")], statement_id="november"
    )
    assert _outcomes(report) == [("FT1", LineOutcome.ALREADY_RECORDED), ("FT2", LineOutcome.RECORDED)]
    assert "november-week-4" in report.results[0].note
    after = world.snapshot()
    assert after["payments"].keys() - before_second["payments"].keys() == {report.results[1].payment_id}


def test_y3_a_line_id_seen_again_with_another_amount_is_not_taken_for_the_same_transaction(world: World) -> None:
    first, second = _place(world), _place(world, 2)
    _tuesday(world)
    reconcile_statement(world.deps, STAFF, [_paying(first, "1")], statement_id="export-1")
    before = world.snapshot()
    report = reconcile_statement(world.deps, STAFF, [_paying(second, "1", 1_000_000)], statement_id="export-2")
    assert _outcomes(report) == [("1", LineOutcome.ID_CONFLICT)]
    assert report.results[0].needs_staff
    assert "transaction id column" in report.results[0].note
    assert world.snapshot() == before


@pytest.mark.parametrize("actor", [BUYER, ACCOUNTANT], ids=["customer", "accountant"])
def test_a2_only_staff_reconcile_a_statement(world: World, actor: object) -> None:
    lines, _orders = _statement(world)
    before = world.snapshot()
    with pytest.raises(PermissionDeniedError) as caught:
        reconcile_statement(world.deps, actor, lines, statement_id="st-1")  # type: ignore[arg-type]
    assert caught.value.rule == "A2"
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("lines", "statement_id", "field"),
    [
        ("not lines", "st-1", "lines"),
        ([object()], "st-1", "lines[0]"),
        ([], " ", "statement_id"),
    ],
)
def test_y3_malformed_calls_are_refused_before_anything_changes(
    world: World, lines: object, statement_id: str, field: str
) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError) as caught:
        reconcile_statement(world.deps, STAFF, lines, statement_id=statement_id)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert world.snapshot() == before


def test_y3_a_refused_line_is_reported_and_does_not_undo_the_others(world: World) -> None:
    first, second = _place(world), _place(world, 2)
    _tuesday(world)
    future = _line("FT9", second.grand_total, transfer_reference(second.id), day=dt.date(2026, 11, 30))
    report = reconcile_statement(world.deps, STAFF, [_paying(first, "FT1"), future], statement_id="st-1")
    assert _outcomes(report) == [("FT1", LineOutcome.RECORDED), ("FT9", LineOutcome.REFUSED)]
    assert "[Y7]" in report.results[1].note
    assert transfer_reference(second.id) in report.results[1].note
    assert world.order(first.id).state is OrderState.FULFILLED
    assert world.order(second.id).state is OrderState.PLACED
    with world.deps.uow() as uow:
        assert uow.idempotency.get("reconcile_statement", "FT9") is None


def test_y3_an_empty_statement_gives_an_empty_report(world: World) -> None:
    report = reconcile_statement(world.deps, STAFF, [], statement_id="st-0")
    assert report.results == ()
    assert set(report.counts.values()) == {0}


# What a shuffled statement may hold for one of three orders: the exact amount, less, more, or no reference.
KINDS = st.sampled_from(["exact", "partial", "over", "none"])
SPECS = st.lists(st.tuples(st.integers(min_value=0, max_value=2), KINDS), min_size=1, max_size=8)


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(specs=SPECS, data=st.data())
def test_y3_any_shuffled_statement_twice_records_each_order_at_most_once(
    specs: list[tuple[int, str]], data: st.DataObject
) -> None:
    world = World.make()
    orders = [_place(world, n) for n in (1, 2, 3)]
    _tuesday(world)
    lines = []
    for index, (which, kind) in enumerate(specs):
        order = orders[which]
        total = int(order.grand_total.amount)
        amount = {"exact": total, "partial": total - 1, "over": total + 1, "none": total}[kind]
        text = "no reference here" if kind == "none" else f"ND {transfer_reference(order.id)}"
        lines.append(_line(f"TX{index}", amount, text))
    shuffled = data.draw(st.permutations(lines))
    first = reconcile_statement(world.deps, STAFF, shuffled, statement_id="s-1")
    recorded = Counter(r.order_id for r in first.results if r.outcome is LineOutcome.RECORDED)
    assert all(count == 1 for count in recorded.values())
    paid_by_statement = {orders[w].id for w, kind in specs if kind == "exact"}
    assert set(recorded) == paid_by_statement
    before = world.snapshot()
    again = reconcile_statement(world.deps, STAFF, data.draw(st.permutations(lines)), statement_id="s-2")
    assert again.counts[LineOutcome.RECORDED] == 0
    kept = [r for r in first.results if r.unapplied_id is not None]
    assert again.counts[LineOutcome.ALREADY_RECORDED] == len(recorded) + len(kept)
    assert world.snapshot() == before
    # Y6: every credit ended applied, kept unapplied, or reported as the transfer that already paid its order.
    for result in first.results:
        assert result.outcome is LineOutcome.RECORDED or result.unapplied_id is not None
    with world.deps.uow() as uow:
        for order in orders:
            succeeded = [p for p in uow.payments.of_order(order.id) if p.state is PaymentState.SUCCEEDED]
            assert len(succeeded) == (1 if order.id in paid_by_statement else 0)


def test_y3_reconciliation_runs_on_sqlite(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    clock = ManualClock(T0)
    bank = FakePaymentProvider("bank", b"bank-signing-key-never-shown-5555555555")
    deps = bootstrap_sql(
        CATALOG,
        database=tmp_path / "subscriptions.db",
        providers={"bank": bank},
        seller=Seller(name="Công ty Cổ phần MISA", tax_code="0101243150", address="Hà Nội", email="hd@misa.com.vn"),
        series=InvoiceSeries("C26TAA"),
        notifier=RecordingNotifier(),
        link_key=LINK_KEY,
        clock=clock,
        ids=SequentialIds(),
    ).services
    with deps.uow() as uow:
        uow.customers.add(customer(1, buyers={"u-1"}))
        uow.commit()
    request = NewPurchase(customer_id="cus-1", plan="std", option="1y")
    orders = [place_order(deps, BUYER, request, CONFIRMED, idempotency_key=f"k-{n}") for n in range(2)]
    clock.set(dt.datetime(2026, 11, 24, 10, 0, tzinfo=VIETNAM_TZ))
    lines = [_paying(orders[0], "FT1"), _paying(orders[1], "FT2", 1_000), _paying(orders[0], "FT3")]
    report = reconcile_statement(deps, STAFF, lines, statement_id="VCB-1")
    expected = [("FT1", LineOutcome.RECORDED), ("FT2", LineOutcome.PARTIAL), ("FT3", LineOutcome.NOT_AWAITING)]
    assert _outcomes(report) == expected
    again = reconcile_statement(deps, OTHER_STAFF, lines, statement_id="VCB-1-again")
    # FT2 (partial) and FT3 (a second transfer for a paid order) were kept as unapplied money (Y6).
    assert [r.unapplied_id is not None for r in report.results] == [False, True, True]
    assert _outcomes(again) == [(n, LineOutcome.ALREADY_RECORDED) for n in ("FT1", "FT2", "FT3")]
    with deps.uow() as uow:
        assert uow.orders.get(orders[0].id).state is OrderState.FULFILLED
        assert uow.orders.get(orders[1].id).state is OrderState.PLACED
        assert len(uow.payments.of_order(orders[0].id)) == 1


def test_y3_a_reference_naming_several_orders_is_ambiguous_never_guessed(world: World) -> None:
    first, second = _place(world), _place(world, 2)
    line = _paying(first, "FT1")
    verdict = assess(line, lambda _reference: [first, second])
    assert isinstance(verdict, LineResult)
    assert verdict.outcome is LineOutcome.AMBIGUOUS
    assert first.id in verdict.note
    assert second.id in verdict.note
    assert isinstance(assess(line, lambda _reference: [first]), Match)


def test_y3_assess_checks_the_state_before_the_currency_and_the_amount(world: World) -> None:
    order = _place(world)
    world.pay_online(order)
    paid = world.order(order.id)
    verdict = assess(_line("FT1", Money.of("1.00", "USD"), transfer_reference(order.id)), lambda _r: [paid])
    assert isinstance(verdict, LineResult)
    assert verdict.outcome is LineOutcome.NOT_AWAITING
    assert paid.payment_id is not None
    assert paid.payment_id in verdict.note
    with pytest.raises(ValidationError):
        assess("a line", lambda _r: [])  # type: ignore[arg-type]


def test_y3_staff_importing_one_statement_at_once_record_each_line_once(world: World) -> None:
    orders = [_place(world, n) for n in (1, 2, 3, 1)]
    _tuesday(world)
    lines = [_paying(order, f"FT{n}") for n, order in enumerate(orders)]
    barrier = threading.Barrier(4, timeout=60)

    def run(n: int) -> ReconciliationReport:
        barrier.wait()
        return reconcile_statement(world.deps, Actor.staff(f"st-{n}"), lines, statement_id=f"import-{n}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(run, range(4)))
    for index in range(len(lines)):
        outcomes = Counter(report.results[index].outcome for report in reports)
        assert outcomes == {LineOutcome.RECORDED: 1, LineOutcome.ALREADY_RECORDED: 3}
    with world.deps.uow() as uow:
        for order in orders:
            assert uow.orders.get(order.id).state is OrderState.FULFILLED
            assert len(uow.payments.of_order(order.id)) == 1
