"""``import-statement``: a bank's CSV statement read, reconciled line by line, and summed up for staff (Y3, A2).

The file is read with the bank's preset (``statements.PRESETS``), then its credit lines go to
``reconcile_statement`` in small chunks, each line in its own unit of work as that use case promises, so
a progress bar can follow a long file and an interrupted import loses nothing: importing the same file
again answers ``already_recorded`` for the lines done and does the rest. Its debit lines then go to
``confirm_bank_refunds``: a debit carrying a bank refund's reference, for its amount, confirms it (Y8);
importing the file again confirms nothing twice. At the end: a table of outcomes (every outcome, with its
line count and credits), the lines staff must handle, and the bank refunds confirmed. Rows the reader could
not read are listed by row number and reason (never their content), and make the exit code 1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from subscription_core.customers import Actor
from subscription_core.refunds import Refund
from subscription_core.services import confirm_bank_refunds, reconcile_statement
from subscription_core.statements import LineResult, ReconciliationReport, StatementLine
from subscription_core_adapters.cli.app import REFUSED, Config, app_option
from subscription_core_adapters.cli.render import console, outcomes_table, staff_table
from subscription_core_adapters.cli.settings import ENV_STAFF
from subscription_core_adapters.statements import PRESETS, StatementRead, read_statement

__all__ = ["import_statement"]

CHUNK: Final = 10
"""Lines reconciled per call of the use case (the progress bar moves by this much)."""
PROGRESS_FROM: Final = 50
"""A statement of at least this many lines gets a progress bar (on a terminal)."""


def _read(file: Path, preset: str) -> StatementRead:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {file}: {exc.strerror or exc}", param_hint="FILE") from None
    return read_statement(data, PRESETS[preset])


def reconcile_in_chunks(
    reconcile: Callable[[tuple[StatementLine, ...]], ReconciliationReport],
    lines: tuple[StatementLine, ...],
    *,
    statement_id: str,
    show_progress: bool,
) -> ReconciliationReport:
    """Reconcile ``lines`` ``CHUNK`` at a time through ``reconcile(chunk)``, with a progress bar if asked.

    The results come back in the lines' order, as one call over every line would give them (each line is
    its own unit of work either way).
    """
    results: list[LineResult] = []
    progress = Progress(
        TextColumn("reconciling"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        disable=not show_progress,
        transient=True,
    )
    with progress:
        task = progress.add_task("lines", total=len(lines))
        for start in range(0, len(lines), CHUNK):
            chunk = lines[start : start + CHUNK]
            results.extend(reconcile(chunk).results)
            progress.advance(task, len(chunk))
    return ReconciliationReport(statement_id=statement_id, results=tuple(results))


@click.command("import-statement")
@app_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "preset", type=click.Choice(sorted(PRESETS)), required=True, help="The bank's export.")
@click.option("--staff", required=True, envvar=ENV_STAFF, help=f"The staff member importing (A2) [env {ENV_STAFF}].")
@click.option("--statement-id", help="Names the import in the history and logs [the file's name].")
def import_statement(*, config: Config, file: Path, preset: str, staff: str, statement_id: str | None) -> None:
    """Reconcile a bank statement: exact matches recorded as paid, the rest kept for staff (Y3)."""
    read = _read(file, preset)
    name = statement_id or file.name
    out = console()
    wiring = config.wiring()
    actor = Actor.staff(staff)
    try:
        report = reconcile_in_chunks(
            lambda chunk: reconcile_statement(wiring.services, actor, chunk, statement_id=name),
            read.lines,
            statement_id=name,
            show_progress=len(read.lines) >= PROGRESS_FROM and out.is_terminal,
        )
        confirmed = confirm_bank_refunds(wiring.services, actor, read.debit_lines)
    finally:
        wiring.dispose()
    out.print(outcomes_table(report))
    if report.needs_staff:
        out.print(staff_table(report))
    click.echo(
        f"{len(read.lines)} credit lines, {read.debits} debit lines ({len(confirmed)} confirm bank refunds),"
        f" {read.summaries} totals rows skipped, {len(read.problems)} rows unreadable"
    )
    _print_confirmed(confirmed)
    if read.problems:
        for problem in read.problems:
            column = f" ({problem.column})" if problem.column else ""
            click.echo(f"  row {problem.row}{column}: {problem.reason}", err=True)
        click.echo("some rows could not be read: fix them and import the file again", err=True)
        raise click.exceptions.Exit(REFUSED)


def _print_confirmed(confirmed: list[Refund]) -> None:
    """One line per bank refund a debit confirmed: its id, amount, reference and the debit line (ids only)."""
    for refund in confirmed:
        click.echo(
            f"  refund {refund.id} of {refund.amount} confirmed: reference {refund.reference},"
            f" statement line {refund.statement_line}"
        )
