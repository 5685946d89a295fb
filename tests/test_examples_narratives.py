"""The example scripts tell what the vendors' user guides describe: the key facts of each narrative.

Each script's ``run()`` plays its user guide's story through the services and returns the facts its
narrative prints; these tests check those facts (dates, refusals, amounts, counts), never the printed wording.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from subscription_core import load_catalog
from subscription_core.money import Money
from subscription_core.orders import OrderState
from subscription_core.payments import MethodKind
from subscription_core.promotions import Scope
from subscription_core.retention import Access
from subscription_core.subscriptions import Event, State
from subscription_core_adapters.banking import BankTransferProvider
from subscription_core_adapters.bootstrap import bootstrap_sql
from subscription_core_adapters.einvoice import InvoiceSeries
from subscription_core_adapters.fakes import RecordingNotifier

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the examples are scripts beside the package, not installed with it
    sys.path.insert(0, str(ROOT))

from examples import amis_accounting, amis_vn, asp_accounting, demo, onesme, qlts  # noqa: E402 - needs ROOT on sys.path


def vnd(amount: int) -> Money:
    return Money.of(amount, "VND")


@pytest.fixture(scope="module")
def amis() -> amis_vn.Story:
    return amis_vn.run()


@pytest.fixture(scope="module")
def retention() -> amis_accounting.Story:
    return amis_accounting.run()


@pytest.fixture(scope="module")
def commitment() -> qlts.Story:
    return qlts.run()


@pytest.fixture(scope="module")
def bulk() -> asp_accounting.Story:
    return asp_accounting.run()


@pytest.fixture(scope="module")
def sme() -> onesme.Story:
    return onesme.run()


# --- MISA AMIS.VN ----------------------------------------------------------------------------------------


def test_c4_y2_amis_trial_paid_by_card_with_training_and_a_sales_code(amis: amis_vn.Story) -> None:
    assert amis.paid_state is State.ACTIVE
    assert amis.card_discount == vnd(1_800_000)  # 15 % of Professional's 12,000,000
    assert amis.card_total == vnd(11_850_000)  # 12,000,000 - 1,800,000 + training 1,500,000 + VAT 10 % on it
    assert amis.paid_last_day == dt.date(2028, 4, 19)


def test_y3_d4_amis_transfer_over_the_holiday_is_active_by_tuesday(amis: amis_vn.Story) -> None:
    told = amis.transfer_instructions
    assert told["account"] == "0011000123456"
    assert told["amount"] == "6000000"
    assert {"bank", "transfer_content", "qr"} <= told.keys()
    assert amis.money_received_on == dt.date(2027, 4, 30)  # Friday, Reunification Day
    assert amis.activation_deadline == dt.date(2027, 5, 4)  # Tuesday, after 1 May and its observed Monday
    assert amis.state_before_deadline is State.AWAITING_ACTIVATION
    assert amis.state_after_deadline is State.ACTIVE
    assert amis.transfer_first_day == dt.date(2027, 5, 4)


def test_s6_amis_storage_top_up_is_priced_for_the_days_left(amis: amis_vn.Story) -> None:
    days_left = (dt.date(2028, 4, 20) - dt.date(2027, 6, 15)).days
    term_days = (dt.date(2028, 4, 20) - dt.date(2027, 4, 20)).days
    assert amis.top_up_total == vnd(round(1_000_000 * days_left / term_days))
    assert amis.storage_after_top_up == 30 + 10


def test_s6_s10_s11_amis_renewal_switches_to_enterprise_with_the_new_term_keeping_storage(
    amis: amis_vn.Story,
) -> None:
    assert amis.plan_until_term_end == "amis-professional"
    assert amis.renewed_plan == "amis-enterprise"
    assert amis.renewal_total == vnd(24_000_000 * 85 // 100 + 4 * 500_000)
    assert amis.storage_after_renewal == 100 + 4 * 5
    assert amis.last_day_after_renewal == dt.date(2029, 4, 19)  # extends from the old expiry (S2)
    assert amis.invoices_issued == 4


# --- MISA AMIS Accounting --------------------------------------------------------------------------------


def test_u2_s5_retention_refused_while_active_with_its_last_day(retention: amis_accounting.Story) -> None:
    assert retention.found_by_tax_code == "cus-anphat"
    refused = retention.refused_while_active
    assert refused.rule == "S5"
    assert "still active" in refused.message
    assert "2027-01-04" in refused.message


def test_s5_retention_refused_after_the_purge_with_its_date(retention: amis_accounting.Story) -> None:
    assert retention.purged_state is State.PURGED
    refused = retention.refused_after_purge
    assert refused.rule == "S5"
    assert "purged on 2026-12-10" in refused.message


def test_o5_retention_ordered_by_staff_and_paid_through_the_link(retention: amis_accounting.Story) -> None:
    assert retention.order_total == vnd(660_000)  # 3 months x 200,000 + VAT 10 % (in force from 2027)
    assert retention.link_total == retention.order_total
    assert len(retention.link_lines) == 1
    assert retention.invoice_sent_to == ("ketoantruong@anphat.com.vn",)  # the corrected invoice address (I2)


def test_s5_the_archive_is_read_only_and_refuses_writes(retention: amis_accounting.Story) -> None:
    assert retention.state_after_payment is State.READ_ONLY
    assert retention.retention_last_day == dt.date(2027, 4, 11)
    assert retention.access_after_payment is Access.READ_ONLY
    assert retention.write_refusal.rule == "S5"
    assert retention.write_refusal.value == "read_only"


# --- MISA QLTS -------------------------------------------------------------------------------------------


def test_k1_qlts_usable_past_the_old_expiry_on_a_commitment(commitment: qlts.Story) -> None:
    story = commitment.nguyen_du
    assert story.old_last_day == dt.date(2027, 1, 7)
    assert story.commitment_total == vnd(2_500_000)
    assert story.order_pay_by == dt.date(2026, 12, 28) + dt.timedelta(days=180)
    assert story.state_after_old_expiry is State.ACTIVE_ON_COMMITMENT


def test_k3_qlts_second_commitment_granted_third_refused(commitment: qlts.Story) -> None:
    story = commitment.nguyen_du
    assert story.second_due_on == dt.date(2027, 5, 29)
    assert story.third_refusal.rule == "K3"
    assert "no third" in story.third_refusal.message


def test_y4_k5_qlts_verified_proof_makes_the_renewal_official(commitment: qlts.Story) -> None:
    story = commitment.nguyen_du
    assert story.order_state is OrderState.FULFILLED
    assert story.state is State.ACTIVE
    assert story.new_last_day == dt.date(2028, 1, 7)  # a year after the old expiry: registered before it (S2)


def test_k4_qlts_unpaid_unit_cut_off_and_its_order_closed(commitment: qlts.Story) -> None:
    story = commitment.ba_vi
    assert story.state is State.CUT_OFF
    assert story.closed_orders == (story.order_id,)
    kinds = Counter(notice.split(" ")[0] for notice in story.notices)
    assert kinds["commitment_due"] == 3  # 7, 3 and 1 days ahead (K2)
    assert kinds["cut_off"] == 1
    assert kinds["order_cancelled"] == 1


# --- MISA ASP Accounting ---------------------------------------------------------------------------------


def test_b4_a3_asp_review_reports_every_bad_row(bulk: asp_accounting.Story) -> None:
    problems = bulk.review_problems
    assert len(problems) == 2  # nothing is said of the non-client's subscriptions (A3)
    assert problems[0].startswith("row 4: client:")
    assert problems[0].endswith("[B1]")
    assert problems[1].startswith("row 27: client:")
    assert problems[1].endswith("[A3]")


def test_b2_b5_asp_invoices_to_each_client_one_order_25_expiries(bulk: asp_accounting.Story) -> None:
    renewed = bulk.to_customers
    assert renewed.lines == 25
    assert renewed.total == vnd(20 * 1_200_000 + 5 * 2_400_000)
    assert renewed.invoices == 25
    assert len(set(renewed.invoice_emails)) == 25
    assert renewed.moved == 25


def test_b4_b2_asp_review_page_shows_what_the_order_and_invoices_then_carry(bulk: asp_accounting.Story) -> None:
    for renewed in (bulk.to_customers, bulk.to_other):
        review = renewed.reviewed
        assert review.ready
        assert review.total == renewed.total  # the page's total is what the order then charged
        assert len(review.clients) == 25
        assert all(c.name and c.tax_code and c.invoice for c in review.clients)
    emails = {c.invoice.buyer.email for c in bulk.to_customers.reviewed.clients if c.invoice}
    assert emails == set(bulk.to_customers.invoice_emails)  # each client's own invoice details (B2)
    others = {c.invoice.buyer.email for c in bulk.to_other.reviewed.clients if c.invoice}
    assert others == set(bulk.to_other.invoice_emails) == {"ketoan@anhduong-ktdv.vn"}


def test_b2_b5_asp_invoice_to_other_is_one_invoice_and_25_expiries(bulk: asp_accounting.Story) -> None:
    renewed = bulk.to_other
    assert renewed.lines == 25
    assert renewed.invoices == 1
    assert renewed.invoice_emails == ("ketoan@anhduong-ktdv.vn",)
    assert renewed.moved == 25
    assert renewed.before == bulk.to_customers.after


# --- VNPT oneSME -----------------------------------------------------------------------------------------


def test_p1_p5_onesme_a_promotion_at_each_level_of_every_registration(sme: onesme.Story) -> None:
    assert [r.flow for r in sme.registered] == ["ON 1-cycle", "ON 12-cycle", "OS 1-cycle", "OS 6-cycle"]
    for registered in sme.registered:
        assert {Scope.PACKAGE, Scope.ADDON, Scope.INVOICE} <= set(registered.scopes)
    assert sme.registered[0].total == vnd(176_890)


def test_y3_d4_onesme_cash_active_by_the_next_business_day(sme: onesme.Story) -> None:
    assert sme.activation_deadline == dt.date(2026, 11, 25)  # Mon receipt; Tue 24/11 is a holiday
    assert sme.states_before_deadline == (State.AWAITING_ACTIVATION, State.AWAITING_ACTIVATION)


def test_s7_s8_onesme_one_company_four_subscriptions_in_detail(sme: onesme.Story) -> None:
    details = {d.id: d for d in sme.details}
    assert set(details) == {r.subscription_id for r in sme.registered}
    assert all(d.state is State.ACTIVE for d in details.values())
    methods = Counter(d.payment_method.kind if d.payment_method else None for d in details.values())
    assert methods == {MethodKind.INTERNATIONAL_CARD: 2, MethodKind.CASH: 2}
    assert all(len(d.invoices) == 1 for d in details.values())
    twelve = details[sme.registered[1].subscription_id]
    assert twelve.resources.last_day == dt.date(2027, 11, 18)
    assert [(q.code, q.granted, q.used) for q in twelve.seats] == [("seats", 10, 3)]
    cash = details[sme.registered[2].subscription_id]
    assert [e.event for e in cash.history] == [Event.RECEIVE_PAYMENT, Event.ACTIVATE]
    assert len(cash.staff_changes) == 1  # the staff member's entry, with its reason (S9)


# --- every script ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", [amis_vn, amis_accounting, qlts, asp_accounting, onesme], ids=lambda m: m.__name__)
def test_narratives_are_short_and_reproducible(script: ModuleType) -> None:
    first, second = script.run().lines, script.run().lines
    assert first == second  # a manual clock and sequential ids: the same story every time
    assert 8 <= len(first) <= 20


# --- the main demo (README): the protocol adapters on SQLite ---------------------------------------------


def test_y2_y3_y5_i1_the_demo_pays_through_vnpay_and_a_reconciled_vietqr_transfer(tmp_path: Path) -> None:
    told = demo.sqlite_story(tmp_path / "demo.sqlite").splitlines()
    assert any(line.startswith("  VNPay's IPN delivered 3 times, answered 00, 02, 02: applied once (") for line in told)
    assert any(line.startswith("  e-invoice 1C27TAA no. 00000001 issued (") for line in told)
    assert "  2027-05-04 23:59 scheduler run: Lan Anh is active" in told


def test_y3_y6_the_demo_labels_each_statement_lines_outcome(tmp_path: Path) -> None:
    told = demo.sqlite_story(tmp_path / "demo.sqlite").splitlines()
    lines = [line.split() for line in told if line.startswith("    line 5213.")]
    first, second, again_first, again_second = lines
    assert first[:4] == ["line", "5213.1001", "6,000,000", "VND"]
    assert first[4] == "recorded:"
    assert second[:5] == ["line", "5213.1002", "500,000", "VND", "no_reference:"]
    assert again_first[4] == again_second[4] == "already_recorded:"  # the same statement again changes nothing
    amounts = {line.index(" VND") for line in told if line.startswith("    line 5213.")}
    assert len(amounts) == 1  # the amounts end in one column


def test_y5_the_demo_reads_active_and_applied_once_back_from_the_database(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite"
    told = demo.sqlite_story(database)
    with contextlib.closing(sqlite3.connect(database)) as db:
        states = dict(db.execute("select customer_id, state from subscriptions").fetchall())
        (order_id,) = db.execute("select id from orders where customer_id = 'cus-1'").fetchone()
        (paid,) = db.execute(
            "select count(*) from payments where order_id = ? and state = 'succeeded'", (order_id,)
        ).fetchone()
    wiring = bootstrap_sql(
        load_catalog(ROOT / "examples" / "catalogs" / "amis_vn.toml"),
        database=database,
        providers={"bank_transfer": BankTransferProvider(bank="VCB", account="0011004123456", account_name="AMIS")},
        notifier=RecordingNotifier(),
        link_key=b"k" * 32,
        seller=demo.SELLER,
        series=InvoiceSeries("C27TAA"),
    )
    try:
        assert demo._state(wiring.services, "cus-1") == states["cus-1"] == "active"
        applied = demo._applied(wiring.services, order_id)
    finally:
        wiring.dispose()
    assert applied.startswith(f"applied once (the database holds {paid} succeeded payment, 1 paid term)")
    assert f"answered 00, 02, 02: {applied}" in told
    assert f"Hoa Sen is {states['cus-1']}; notices delivered" in told


def test_n1_the_demo_explains_each_notice_count(tmp_path: Path) -> None:
    told = demo.sqlite_story(tmp_path / "demo.sqlite").splitlines()
    rows = [line for line in told if " = (" in line]
    assert {row.split()[0] for row in rows} >= {"order_placed", "order_paid", "activated", "invoice_issued"}
    for row in rows:  # "order_placed  6 = (2 x order placed + 1 x transfer instructions) by e-mail and in-app"
        count = int(row.split()[1])
        events = sum(int(n) for n in re.findall(r"(\d+) x ", row))
        channels = row.rpartition(" by ")[2].count(" and ") + 1
        assert count == events * channels, row
    assert any(line.endswith("a second relay sends 0: the outbox marks each one delivered") for line in told)


def test_the_demo_quotes_align_their_amounts_and_say_why_each_promotion_applied() -> None:
    for shown in (demo.amis_purchase(), demo.onesme_three_scopes()):
        rows = [line for line in shown.splitlines() if line.endswith(" VND") and not line.startswith(" " * 8)]
        assert {len(row) for row in rows} == {demo.LABEL + demo.AMOUNT}
    amis = demo.amis_purchase()
    assert "      share of invoice promotion YEAR-END" in amis
    assert "    YEAR-END (invoice promotion)" in amis
    words = " ".join(amis.split())  # the reasons are wrapped
    assert "valid until 2026-12-31" in words
    assert "15% off amis-professional, one of the packages it targets; the buyer typed its sales code" in words
    onesme = demo.onesme_three_scopes()
    for code in ("PKG-10", "ADDON-20", "INVOICE-5"):
        assert f"    {code} (" in onesme


def test_the_demo_says_how_to_keep_the_sqlite_file_and_refuses_to_overwrite_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "bash scripts/demo.sh demo.sqlite" in demo.keeping(None)
    kept = tmp_path / "kept.sqlite"
    assert str(kept) in demo.keeping(kept)
    kept.write_bytes(b"")
    with pytest.raises(SystemExit, match="exists already"):
        demo.main([str(kept)])
    assert capsys.readouterr().out == ""  # refused before anything is printed
