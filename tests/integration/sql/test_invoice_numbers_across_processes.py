"""Host processes that run side by side and restart on one database never issue an e-invoice number twice (I1).

Each round starts two processes at once (``invoicing_process``), each selling and being paid through the
use cases on the handle ``bootstrap_sql`` returns, so fulfilment issues the invoices (the retry step those
whose first attempt lost races on the database); the next round's
processes are new ones on the same database, as after a restart. Across every round: one invoice per
order, no (series, number) twice, and the numbers run 1..n without a gap, in the core's invoice table and
in the issuer's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, select

from subscription_core_adapters.einvoice.sql_store import SqlNumberedInvoices
from subscription_core_adapters.sql import schema

ROOT = Path(__file__).resolve().parents[3]
ROUNDS, PROCESSES, ORDERS = 2, 2, 4


def run_rounds(database: list[str]) -> list[tuple[str, str, str]]:
    """Run the rounds of processes on ``database`` (their options); every invoice they say they issued."""
    issued: list[tuple[str, str, str]] = []
    for round_ in range(ROUNDS):
        started = [
            subprocess.Popen(  # noqa: S603 - this interpreter, the project's own module
                [
                    sys.executable,
                    "-m",
                    "tests.integration.sql.invoicing_process",
                    f"r{round_}p{p}",
                    str(100 * (1 + p + PROCESSES * round_)),
                    str(ORDERS),
                    *database,
                ],
                cwd=ROOT,
                env=os.environ,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for p in range(PROCESSES)
        ]
        for process in started:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            issued += [(order, series, number) for order, series, number in (line.split() for line in out.splitlines())]
    return issued


def check(engine: Engine, issued: list[tuple[str, str, str]]) -> None:
    """One invoice per order, each (series, number) once, 1..n without a gap: as told, and as stored."""
    total = ROUNDS * PROCESSES * ORDERS
    assert len({order for order, _, _ in issued}) == len(issued) == total
    assert sorted(int(number) for _, series, number in issued if series == "1C26TAA") == list(range(1, total + 1))
    table = schema.invoices
    with engine.connect() as connection:
        stored = sorted(connection.execute(select(table.c.order_id, table.c.series, table.c.number)).all())
    assert [tuple(row) for row in stored] == sorted(issued)
    assert SqlNumberedInvoices(engine).numbers("1C26TAA") == list(range(1, total + 1))


def test_i1_processes_restarting_on_one_sqlite_file_never_issue_a_number_twice(sqlite_db: Engine) -> None:
    database = sqlite_db.url.database
    assert database is not None
    check(sqlite_db, run_rounds(["--database", database]))


def test_i1_processes_restarting_on_one_postgresql_schema_never_issue_a_number_twice(postgresql_db: Engine) -> None:
    with postgresql_db.connect() as connection:
        schema_name = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
    dsn = os.environ["SUBSCRIPTION_CORE_PG_DSN"]
    check(postgresql_db, run_rounds(["--dsn", dsn, "--schema", schema_name]))
