"""What the commands print, drawn with rich: a quote's breakdown, a statement's outcomes, dead letters.

Amounts are right-aligned, in the quote's or statement's one currency (named in the title, not on every
cell). Nothing personal is printed: no recipient of a notice, no transfer description of a statement line.
Off a terminal (a pipe, a log file) the width is at least 120 columns so amounts are never cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rich.console import Console
from rich.table import Table

from subscription_core.money import Money
from subscription_core.notices import DeadLetter
from subscription_core.quotes import Quote
from subscription_core.statements import ReconciliationReport

__all__ = ["amount", "console", "dead_letters_table", "outcomes_table", "quote_tables", "staff_table"]

_MIN_WIDTH: Final = 120
_NOTE_CHARS: Final = 200


def console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr): the terminal's width, or at least 120 columns off a terminal."""
    probe = Console(stderr=stderr, highlight=False)
    if probe.is_terminal:
        return probe
    return Console(stderr=stderr, highlight=False, width=max(probe.width, _MIN_WIDTH))


def amount(money: Money) -> str:
    """``1,200,000``: the amount with its thousands separators, without the currency (named in the title)."""
    return f"{money.amount:,}"


def _right(table: Table, *names: str) -> None:
    for name in names:
        table.add_column(name, justify="right", no_wrap=True)


def quote_tables(quote: Quote) -> list[Table]:
    """The lines, the promotions applied and refused, the VAT per rate, and the totals of ``quote``."""
    promotions = [_promotions_table(quote)] if quote.applied or quote.refused else []
    return [_lines_table(quote), *promotions, _vat_table(quote), _totals_table(quote)]


def _discount(money: Money) -> str:
    return f"-{amount(money)}" if money.amount else "0"


def _lines_table(quote: Quote) -> Table:
    title = f"Quote as of {quote.as_of.isoformat()} ({quote.purchase.value}), amounts in {quote.currency.code}"
    table = Table(title=title)
    table.add_column("Item", min_width=24)
    table.add_column("Code", no_wrap=True)
    _right(table, "Qty", "Unit price", "Base", "Discounts", "Taxable", "VAT rate", "VAT", "Total")
    for line in quote.lines:
        table.add_row(
            line.description,
            f"{line.code} {line.option}".strip(),
            str(line.quantity),
            amount(line.unit_price),
            amount(line.base),
            _discount(line.line_discount + line.invoice_discount),
            amount(line.taxable),
            line.vat_rate.label,
            amount(line.vat),
            amount(line.total),
        )
    return table


def _promotions_table(quote: Quote) -> Table:
    table = Table(title="Promotions")
    table.add_column("Code", no_wrap=True)
    table.add_column("Applies to")
    _right(table, "Discount")
    table.add_column("Refused because")
    for applied in quote.applied:
        table.add_row(applied.code, applied.scope.value, _discount(applied.amount), "")
    for refused in quote.refused:
        why = f"{refused.reason.value}: {refused.detail}" if refused.detail else refused.reason.value
        table.add_row(refused.code, "", "", why)
    return table


def _vat_table(quote: Quote) -> Table:
    table = Table(title=f"VAT per rate ({quote.currency.code})")
    table.add_column("Rate")
    _right(table, "Taxable", "VAT")
    for total in quote.vat_totals:
        table.add_row(total.rate.label, amount(total.taxable), amount(total.vat))
    return table


def _totals_table(quote: Quote) -> Table:
    table = Table(title=f"Totals ({quote.currency.code})", show_header=False)
    table.add_column("What")
    _right(table, "Amount")
    table.add_row("Subtotal", amount(quote.subtotal))
    table.add_row("Discounts", _discount(quote.discount_total))
    table.add_row("Before VAT", amount(quote.pretax_total))
    table.add_row("VAT", amount(quote.vat_total))
    table.add_row("Grand total", amount(quote.grand_total))
    return table


def outcomes_table(report: ReconciliationReport) -> Table:
    """How many lines had each outcome, and their credits, every outcome listed; the needs-staff ones marked."""
    table = Table(title=f"Statement {report.statement_id}: {len(report.results)} lines")
    table.add_column("Outcome", no_wrap=True)
    _right(table, "Lines", "Credits")
    table.add_column("Staff")
    for outcome, count in report.counts.items():
        credited = [r.line.amount for r in report.results if r.outcome is outcome]
        total = sum(credited[1:], credited[0]) if credited else None
        staff = "to handle" if outcome.needs_staff and count else ""
        table.add_row(outcome.value, str(count), amount(total) if total is not None else "", staff)
    return table


def staff_table(report: ReconciliationReport) -> Table:
    """The lines staff must handle: line id, booking day, credit, outcome, order and the note (ids only)."""
    table = Table(title="Lines for staff (kept as unapplied money unless noted)")
    table.add_column("Line", no_wrap=True)
    table.add_column("Booked", no_wrap=True)
    _right(table, "Credit")
    table.add_column("Outcome")
    table.add_column("Order", no_wrap=True)
    table.add_column("Note")
    for result in report.needs_staff:
        table.add_row(
            result.line.line_id,
            result.line.booked_on.isoformat(),
            str(result.line.amount),
            result.outcome.value,
            result.order_id or "",
            result.note[:_NOTE_CHARS],
        )
    return table


def dead_letters_table(letters: Sequence[DeadLetter]) -> Table:
    """The dead notices: id, kind, channel, subject, attempts, when they died and the last error (no recipient)."""
    table = Table(title=f"{len(letters)} dead notice{'s' if len(letters) != 1 else ''}")
    table.add_column("Message", no_wrap=True)
    table.add_column("Kind")
    table.add_column("Channel")
    table.add_column("About")
    _right(table, "Attempts")
    table.add_column("Died at (UTC)")
    table.add_column("Last error")
    for letter in letters:
        message = letter.message
        table.add_row(
            message.id,
            message.kind,
            message.channel.value,
            message.subject_id,
            str(letter.attempts),
            letter.died_at.strftime("%Y-%m-%d %H:%M:%S"),
            letter.error[:_NOTE_CHARS],
        )
    return table
