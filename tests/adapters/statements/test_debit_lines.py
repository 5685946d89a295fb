"""Debit lines of bank statements (Y8): read as RefundDebit values, in each preset's real layout."""

from __future__ import annotations

import datetime as dt

import attrs

from subscription_core.calendar import VIETNAM_TZ
from subscription_core.money import Money
from subscription_core.refunds import RefundDebit
from subscription_core_adapters.statements import BIDV, GENERIC, VIETCOMBANK, read_statement

from .test_csv_statement import VCB_FILE


def _vnd(amount: int) -> Money:
    return Money.of(amount, "VND")


def test_y8_a_vietcombank_debit_row_is_a_refund_debit_and_the_credits_are_unchanged() -> None:
    text = VCB_FILE.replace(
        "25/11/2026,5213.1003",
        '25/11/2026,5213.1004,"2,500,000",,IBFT HOAN TIEN HT-0001 CONG TY HOA SEN\n25/11/2026,5213.1003',
    )
    read = read_statement(text.encode("utf-8-sig"), VIETCOMBANK)
    before = read_statement(VCB_FILE.encode("utf-8-sig"), VIETCOMBANK)
    assert read.lines == before.lines  # credits read as before
    assert (read.problems, read.debits) == ((), 2)
    fee, refund = read.debit_lines
    assert (fee.line_id, fee.amount) == ("5213.1002", _vnd(11_000))
    assert refund == RefundDebit(
        line_id="5213.1004",
        booked_at=dt.datetime(2026, 11, 25, tzinfo=VIETNAM_TZ),
        amount=_vnd(2_500_000),
        description="IBFT HOAN TIEN HT-0001 CONG TY HOA SEN",
    )
    assert "HOA SEN" not in repr(refund)


def test_y8_a_bidv_debit_written_with_a_minus_sign_is_a_debit_of_that_amount() -> None:
    text = (
        "STT,Ngày GD/Transaction date,Số tham chiếu/Reference,Mô tả (Description),Phát sinh Nợ/Debit,"
        "Phát sinh Có/Credit,Số dư\n"
        "1,24/11/2026 15:00:00,FT2432902,HOAN TIEN HT-0002,-300.000,,8.700.000\n"
        "2,24/11/2026 16:00:00,FT2432903,HOAN TIEN HT-0003,150.000,,8.550.000\n"
    )
    read = read_statement(text, attrs.evolve(BIDV, thousands=".", decimal=","))
    assert (read.lines, read.problems) == ((), ())
    assert [(d.line_id, d.booked_at.hour, d.amount) for d in read.debit_lines] == [
        ("FT2432902", 15, _vnd(300_000)),
        ("FT2432903", 16, _vnd(150_000)),
    ]


def test_y8_a_generic_negative_amount_is_a_debit_with_an_id_apart_from_an_equal_credit() -> None:
    text = "date,amount,description\n24/11/2026,-50000,HT-0004\n24/11/2026,50000,HT-0004\n"
    read = read_statement(text, GENERIC)
    [credit] = read.lines
    [debit] = read.debit_lines
    assert credit.amount == debit.amount == _vnd(50_000)
    assert credit.line_id != debit.line_id
    assert read_statement(text, GENERIC).debit_lines == (debit,)  # the same id when read again
