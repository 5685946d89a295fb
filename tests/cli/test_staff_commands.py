"""``import-statement`` and ``dead-letters``, run as staff run them, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from subscription_core import Actor, Party
from subscription_core.calendar import local_date
from subscription_core.money import Money
from subscription_core.orders import Order
from subscription_core.refunds import RefundState
from subscription_core.services import (
    Checkout,
    NewPurchase,
    place_order,
    reconcile_statement,
    record_bank_refund,
    register_customer,
    unapplied_money,
)
from subscription_core.statements import LineOutcome, ReconciliationReport, StatementLine
from subscription_core.transfers import transfer_reference
from subscription_core_adapters.bootstrap import SqlWiring
from subscription_core_adapters.cli.statements import CHUNK, reconcile_in_chunks

from .conftest import Db, cli_env, no_traceback, run_cli
from .test_worker import pending, queue

HEADER = "Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Mô tả"


def two_orders(wired: SqlWiring) -> tuple[Order, Order]:
    deps = wired.services
    details = Party(unit_name="Công ty TNHH Hoa Sen", address="Cầu Giấy, Hà Nội", email="ketoan@hoasen.vn")
    company = register_customer(
        deps,
        Actor.system("signup"),
        name="Công ty TNHH Hoa Sen",
        tax_code="0100109106",
        subscriber=details,
        buyers={"u-1"},
        idempotency_key="signup-1",
    )
    buyer = Actor.customer_user("u-1", company.id)
    purchase = NewPurchase(customer_id=company.id, plan="amis-professional", option="1y")
    first, second = (
        place_order(deps, buyer, purchase, Checkout(confirmed=True), idempotency_key=f"order-{n}") for n in (1, 2)
    )
    return first, second


def statement(wired: SqlWiring, paid: Order, partly: Order, *, extra: str = "") -> str:
    """A Vietcombank export: title rows, one exact transfer, a partial one, one without reference, a debit."""
    day = local_date(wired.services.now()).strftime("%d/%m/%Y")
    return (
        "NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM\nSao kê tài khoản,0011004123456\n\n"
        f"{HEADER}\n"
        f'{day},5213.1001,,"12,000,000",MBVCB.3301.{transfer_reference(paid.id)}.CT tu CONG TY HOA SEN\n'
        f'{day},5213.1002,,"5,000,000",MBVCB.3302.{transfer_reference(partly.id)}.CT tu CONG TY HOA SEN\n'
        f'{day},5213.1003,,"500,000",CHUYEN TIEN\n'
        f'{day},5213.1004,"100,000",,PHI DICH VU\n'
        f"{extra}"
        'Tổng số,,"100,000","17,500,000",\n'
    )


def outcomes(stdout: str) -> dict[str, int]:
    """The outcome table's line counts, by outcome, read from the printed table."""
    found = {}
    names = {outcome.value for outcome in LineOutcome}
    for row in stdout.splitlines():
        cells = [cell.strip() for cell in row.strip("│ ").split("│")]
        if cells and cells[0] in names:
            found[cells[0]] = int(cells[1])
    return found


def test_import_statement_records_the_exact_transfer_and_sums_up_every_outcome(
    db: Db, wired: SqlWiring, tmp_path: Path
) -> None:
    paid, partly = two_orders(wired)
    file = tmp_path / "vcb-2026-12.csv"
    file.write_text(statement(wired, paid, partly), encoding="utf-8")
    done = run_cli("import-statement", file, "--format", "vietcombank", env=cli_env(db))
    assert done.returncode == 0, done.stderr
    counts = outcomes(done.stdout)
    assert set(counts) == {outcome.value for outcome in LineOutcome}  # every outcome listed, zeros too
    assert {k: v for k, v in counts.items() if v} == {"recorded": 1, "partial": 1, "no_reference": 1}
    assert "Statement vcb-2026-12.csv: 3 lines" in done.stdout
    assert (
        "3 credit lines, 1 debit lines (0 confirm bank refunds), 1 totals rows skipped, 0 rows unreadable"
        in done.stdout
    )
    assert "CHUYEN TIEN" not in done.stdout  # the transfer's text is the customer's: never printed
    with wired.services.uow() as uow:
        assert uow.orders.get(paid.id).state.value == "fulfilled"
        assert uow.orders.get(partly.id).state.value == "placed"

    # Again, with a row the reader cannot read: nothing recorded twice, the row named, exit 1.
    file.write_text(statement(wired, paid, partly, extra='01/13/2026,5213.1005,,"1,000",X\n'), encoding="utf-8")
    again = run_cli("import-statement", file, "--format", "vietcombank", env=cli_env(db))
    assert again.returncode == 1
    assert {k: v for k, v in outcomes(again.stdout).items() if v} == {"already_recorded": 3}
    assert "row 9 (Ngày giao dịch): date in none of the format's date formats" in again.stderr
    assert no_traceback(again)


def test_y8_import_statement_confirms_the_bank_refund_a_debit_line_carries(
    db: Db, wired: SqlWiring, tmp_path: Path
) -> None:
    paid, partly = two_orders(wired)
    file = tmp_path / "vcb-2026-12.csv"
    file.write_text(statement(wired, paid, partly), encoding="utf-8")
    assert run_cli("import-statement", file, "--format", "vietcombank", env=cli_env(db)).returncode == 0
    staff = Actor.staff("staff-7")
    held = [m for m in unapplied_money(wired.services, staff) if m.amount == Money.of(500_000, "VND")]
    assert len(held) == 1  # the transfer without a reference: kept for staff, who give it back by transfer
    refund = record_bank_refund(
        wired.services,
        staff,
        unapplied_id=held[0].id,
        reference="HT-0001",
        reason="unknown sender",
        idempotency_key="r-1",
    )
    assert refund.state is RefundState.REQUESTED
    day = local_date(wired.services.now()).strftime("%d/%m/%Y")
    debit = f'{day},5213.2001,"{refund.amount.amount:,}",,IBFT HOAN TIEN HT-0001 CONG TY HOA SEN\n'
    file.write_text(statement(wired, paid, partly, extra=debit), encoding="utf-8")
    done_cli = run_cli("import-statement", file, "--format", "vietcombank", env=cli_env(db))
    assert done_cli.returncode == 0, done_cli.stderr
    assert "2 debit lines (1 confirm bank refunds)" in done_cli.stdout
    assert f"refund {refund.id} of {refund.amount} confirmed: reference HT-0001, statement line 5213.2001" in (
        done_cli.stdout
    )
    assert "HOA SEN" not in done_cli.stdout
    with wired.services.uow() as uow:
        assert uow.refunds.get(refund.id).state is RefundState.SUCCEEDED
        assert uow.unapplied.get(held[0].id).remaining == Money.zero("VND")
    again = run_cli("import-statement", file, "--format", "vietcombank", env=cli_env(db))
    assert "2 debit lines (0 confirm bank refunds)" in again.stdout


def test_reconciling_in_chunks_gives_the_report_of_one_call(wired: SqlWiring) -> None:
    staff = Actor.staff("staff-7")
    day = local_date(wired.services.now())
    lines = tuple(
        StatementLine.on_date(line_id=f"L{n:03d}", day=day, amount=Money.of(1000 + n, "VND"), description="CHUYEN TIEN")
        for n in range(CHUNK * 2 + 5)
    )
    seen: list[int] = []

    def reconcile(chunk: tuple[StatementLine, ...]) -> ReconciliationReport:
        seen.append(len(chunk))
        return reconcile_statement(wired.services, staff, chunk, statement_id="long")

    report = reconcile_in_chunks(reconcile, lines, statement_id="long", show_progress=True)
    assert seen == [CHUNK, CHUNK, 5]
    assert [result.line.line_id for result in report.results] == [line.line_id for line in lines]
    assert report.counts[LineOutcome.NO_REFERENCE] == len(lines)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the outbox's dead letters are read alike on both
def test_dead_letters_listed_and_requeued(db: Db, wired: SqlWiring) -> None:
    queue(wired, 2, bounce=1)
    assert wired.relay_outbox().dead == 1  # the test host's notifier refuses bounce* for good
    env = cli_env(db)
    dead_id = "ord-0001:order_placed:email"

    listed = run_cli("dead-letters", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "1 dead notice" in listed.stdout
    assert dead_id in listed.stdout
    assert "the mailbox does not exist" in listed.stdout
    assert "bounce1@" not in listed.stdout  # no recipient shown

    requeued = run_cli("dead-letters", "requeue", dead_id, "--reason", "address fixed by support", env=env)
    assert requeued.returncode == 0, requeued.stderr
    assert f"requeued {dead_id}" in requeued.stdout
    assert pending(wired) == [dead_id]

    missing = run_cli("dead-letters", "requeue", "ord-0404:order_placed:email", "--reason", "typo", env=env)
    assert missing.returncode == 1
    assert missing.stderr.startswith("error [not_found")
    assert no_traceback(missing)
