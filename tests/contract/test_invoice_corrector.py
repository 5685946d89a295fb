"""The InvoiceCorrector contract (Y8), run on every issuer that corrects invoices (fake, reference on each store).

An issued invoice is never deleted or renumbered: an adjusting invoice carries the difference (negative for
a decrease), a replacement the whole content; each is a new invoice of the series naming the original.
"""

from __future__ import annotations

import attrs
import pytest

from subscription_core.errors import ConflictError, InvalidTransitionError, NotFoundError, ValidationError
from subscription_core.invoice_corrections import (
    AdjustmentLine,
    CorrectedInvoice,
    CorrectionKind,
    InvoiceAdjustment,
    InvoiceReplacement,
)
from subscription_core.money import Money
from subscription_core.tax import VatRate

from .builders import invoice_request
from .racing import race
from .registry import CorrectingIssuer

TEN_PERCENT = VatRate.parse("10%")


def vnd(amount: int) -> Money:
    return Money.of(amount, "VND")


def adjustment(original: CorrectedInvoice, key: str, taxable: int, vat: int) -> InvoiceAdjustment:
    """A change of the plan line of ``original`` by ``taxable`` before VAT and ``vat``."""
    request = invoice_request(original.order_id)
    line = AdjustmentLine(
        code="STD", description="Gói Tiêu chuẩn (1 năm)", vat_rate=TEN_PERCENT, taxable=vnd(taxable), vat=vnd(vat)
    )
    return InvoiceAdjustment(
        key=key,
        original=original,
        buyer=request.buyer,
        lines=(line,),
        reason="Hoàn tiền phần chưa sử dụng",
        requested_at=request.requested_at,
    )


def replacement(original: CorrectedInvoice, key: str) -> InvoiceReplacement:
    return InvoiceReplacement(
        key=key, original=original, request=invoice_request(original.order_id), reason="Sai mã số thuế người mua"
    )


def numbers(*invoices: object) -> list[int]:
    return [int(getattr(invoice, "number")) for invoice in invoices]  # noqa: B009 - invoices of two kinds


def test_y8_an_adjustment_is_a_new_invoice_of_the_series_naming_the_original(
    invoice_corrector: CorrectingIssuer,
) -> None:
    original = invoice_corrector.issue(invoice_request("ord-1"))
    decrease = invoice_corrector.adjust(adjustment(original, "adj-1", -100_000, -10_000))
    assert decrease.kind is CorrectionKind.ADJUSTMENT
    assert decrease.grand_total == vnd(-110_000)  # the difference, negative for a decrease
    assert (decrease.original_series, decrease.original_number) == (original.series, original.number)
    assert (decrease.order_id, decrease.part, decrease.series) == (original.order_id, original.part, original.series)
    assert numbers(original, decrease) == [1, 2]
    increase = invoice_corrector.adjust(adjustment(original, "adj-2", 20_000, 2_000))
    assert increase.grand_total == vnd(22_000)
    assert numbers(invoice_corrector.issue(invoice_request("ord-2"))) == [4]  # one numbering for all invoices
    assert invoice_corrector.issue(invoice_request("ord-1")) == original  # the original stays as issued


def test_y8_asking_again_returns_the_correction_already_issued(invoice_corrector: CorrectingIssuer) -> None:
    original = invoice_corrector.issue(invoice_request("ord-1"))
    first = invoice_corrector.adjust(adjustment(original, "adj-1", -100_000, -10_000))
    assert invoice_corrector.adjust(adjustment(original, "adj-1", -100_000, -10_000)) == first
    with pytest.raises(ConflictError) as caught:
        invoice_corrector.adjust(adjustment(original, "adj-1", -200_000, -20_000))
    assert caught.value.rule == "Y8"
    with pytest.raises(ConflictError):
        invoice_corrector.replace(replacement(original, "adj-1"))
    assert numbers(invoice_corrector.issue(invoice_request("ord-2"))) == [3]


def test_y8_an_invoice_is_adjusted_again_but_never_below_zero(invoice_corrector: CorrectingIssuer) -> None:
    original = invoice_corrector.issue(invoice_request("ord-1"))  # 550,000 with VAT
    invoice_corrector.adjust(adjustment(original, "adj-1", -300_000, -30_000))
    invoice_corrector.adjust(adjustment(original, "adj-2", -200_000, -20_000))  # down to zero exactly
    with pytest.raises(ValidationError) as caught:
        invoice_corrector.adjust(adjustment(original, "adj-3", -1, 0))
    assert (caught.value.rule, caught.value.field) == ("Y8", "lines")
    assert invoice_corrector.adjust(adjustment(original, "adj-4", 10_000, 1_000)).grand_total == vnd(11_000)
    assert numbers(invoice_corrector.issue(invoice_request("ord-2"))) == [5]  # the refusal took no number
    issued = invoice_corrector.corrections_of(original)
    assert [c.key for c in issued] == ["adj-1", "adj-2", "adj-4"]
    assert original.grand_total + sum((c.grand_total for c in issued), vnd(0)) == vnd(11_000)


def test_y8_a_replacement_carries_the_whole_invoice_and_replaces_once(invoice_corrector: CorrectingIssuer) -> None:
    original = invoice_corrector.issue(invoice_request("ord-1"))
    replaced = invoice_corrector.replace(replacement(original, "rep-1"))
    assert replaced.kind is CorrectionKind.REPLACEMENT
    assert replaced.grand_total == original.grand_total == invoice_request("ord-1").grand_total
    assert (replaced.original_series, replaced.original_number) == (original.series, original.number)
    assert numbers(original, replaced) == [1, 2]
    assert invoice_corrector.replace(replacement(original, "rep-1")) == replaced
    with pytest.raises(InvalidTransitionError) as caught:
        invoice_corrector.replace(replacement(original, "rep-2"))
    assert caught.value.rule == "Y8"
    with pytest.raises(InvalidTransitionError):
        invoice_corrector.adjust(adjustment(original, "adj-1", -100_000, -10_000))
    # the replacement is the invoice now: it may be adjusted, or replaced in turn
    assert invoice_corrector.adjust(adjustment(replaced, "adj-2", -100_000, -10_000)).original_number == replaced.number
    assert invoice_corrector.replace(replacement(replaced, "rep-3")).original_number == replaced.number
    assert numbers(invoice_corrector.issue(invoice_request("ord-2"))) == [5]
    assert invoice_corrector.corrections_of(original) == (replaced,)
    assert [c.key for c in invoice_corrector.corrections_of(replaced)] == ["adj-2", "rep-3"]


def test_y8_only_an_invoice_issued_here_is_corrected(invoice_corrector: CorrectingIssuer) -> None:
    original = invoice_corrector.issue(invoice_request("ord-1"))
    unknown = attrs.evolve(original, number="00000099")
    with pytest.raises(NotFoundError) as caught:
        invoice_corrector.adjust(adjustment(unknown, "adj-1", -100_000, -10_000))
    assert caught.value.rule == "Y8"
    with pytest.raises(NotFoundError):
        invoice_corrector.replace(replacement(unknown, "rep-1"))
    assert numbers(invoice_corrector.issue(invoice_request("ord-2"))) == [2]
    assert invoice_corrector.corrections_of(unknown) == ()


@pytest.mark.usefixtures("eager_thread_switching")
def test_y8_racing_replacements_of_one_invoice_leave_one(invoice_corrector: CorrectingIssuer) -> None:
    original = invoice_corrector.issue(invoice_request("ord-1"))

    def attempt(i: int) -> str:
        try:
            return invoice_corrector.replace(replacement(original, f"rep-{i % 4}")).key
        except InvalidTransitionError:
            return "refused"

    outcomes = race(12, attempt)
    winners = {outcome for outcome in outcomes if outcome != "refused"}
    assert len(winners) == 1  # one key won; every repeat of it got the same invoice, the others were refused
    assert numbers(invoice_corrector.issue(invoice_request("ord-2"))) == [3]


@pytest.mark.usefixtures("eager_thread_switching")
def test_y8_racing_decreases_never_take_an_invoice_below_zero(invoice_corrector: CorrectingIssuer) -> None:
    original = invoice_corrector.issue(invoice_request("ord-1"))  # 550,000: five decreases of 110,000 at most

    def attempt(i: int) -> str:
        try:
            return invoice_corrector.adjust(adjustment(original, f"adj-{i}", -100_000, -10_000)).number
        except ValidationError:
            return "refused"

    outcomes = race(9, attempt)
    assert outcomes.count("refused") == 4
    issued = invoice_corrector.corrections_of(original)
    assert len(issued) == 5
    assert original.grand_total + sum((c.grand_total for c in issued), vnd(0)) == vnd(0)
    assert sorted(numbers(*issued)) == [2, 3, 4, 5, 6]
