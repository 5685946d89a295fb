"""The baseline of ``sql_payments.py``: pgbench running one notification's statements, as the library sends them.

:func:`library_statements` captures what the library sends for one notification (through SQLAlchemy's
``before_cursor_execute``, ``commit`` and ``rollback`` events): each statement's verb and table, the transaction
ends, and the JSON documents it writes. :func:`check_script` compares that list with ``pgbench_payment.sql``
line by line, so the baseline cannot drift from the library unnoticed. :func:`make_scratch` builds pgbench's
schema: the library's own migrations (the same tables and indexes), filled with numbered copies of the rows of
one order the library placed (its customer, subscription with its history entry, order, line and payment).
:func:`pgbench` runs the script with ``-M prepared``, the documents passed with ``-D``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, Table, event, make_url, text

from subscription_core_adapters.sql import postgres_engine, schema, upgrade

SCRIPT: Final = Path(__file__).resolve().with_name("pgbench_payment.sql")
TPS: Final = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")
PROCESSED: Final = re.compile(r"number of transactions actually processed: (\d+)")
VERB: Final = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE|COMMIT|ROLLBACK)\b\s*(?:.*?\bFROM\s+)?(\w+)?", re.DOTALL)
ORDER: Final = "'ord-' || lpad(g::text, 32, '0')"
COPIES: Final[tuple[tuple[Table, str, dict[str, str]], ...]] = (
    (schema.customers, "id", {"id": "'cus-' || g", "tax_code": "lpad(g::text, 10, '0')"}),
    (schema.subscriptions, "id", {"id": "'sub-' || g", "customer_id": "'cus-' || g"}),
    (schema.subscription_history, "subscription_id", {"subscription_id": "'sub-' || g"}),
    (
        schema.orders,
        "id",
        {"id": ORDER, "customer_id": "'cus-' || g", "transfer_reference": "lpad(g::text, 16, '0')"},
    ),
    (
        schema.order_lines,
        "order_id",
        {"order_id": ORDER, "customer_id": "'cus-' || g", "subscription_id": "'sub-' || g"},
    ),
    (schema.payments, "order_id", {"id": "'pay-' || lpad(g::text, 32, '0')", "order_id": ORDER}),
)
"""Each table copied, the column naming the template's row, and the columns numbered per copy ``g``."""


def shape(statement: str) -> str:
    """A statement's verb and table, e.g. ``SELECT orders``, ``INSERT INTO outbox``, ``COMMIT``."""
    found = VERB.match(statement)
    if found is None:
        raise SystemExit(f"not a statement the baseline knows: {statement[:80]!r}")
    return " ".join(part for part in found.groups() if part)


def script_shapes() -> list[str]:
    """The shapes of the script's statements, in order (``BEGIN`` and pgbench's meta-commands left out)."""
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    return [shape(line) for line in lines if line and not line.startswith(("--", "\\", "BEGIN"))]


def documents(parameters: Any) -> list[str]:  # noqa: ANN401 - the DB-API parameters of one statement
    """The JSON documents among one statement's bound values, as JSON text, in the order they are bound."""
    rows = parameters if isinstance(parameters, list | tuple) else [parameters]
    found = []
    for row in rows:
        values = [row[name] for name in sorted(row, key=_bound_order)] if isinstance(row, dict) else list(row)
        found += [json.dumps(value.obj) for value in values if type(value).__name__ in ("Json", "Jsonb")]
    return found


def _bound_order(name: str) -> tuple[int, str]:
    # A multi-row insert binds ``document__0``, ``document__1``...: keep the rows' order.
    row = name.rsplit("__", 1)
    return (int(row[1]), row[0]) if len(row) == 2 and row[1].isdigit() else (0, name)


@contextmanager
def library_statements(engine: Engine) -> Iterator[tuple[list[str], list[str]]]:
    """While in the block, collect the shapes of the statements sent through ``engine`` and the documents bound."""
    shapes: list[str] = []
    written: list[str] = []

    def sent(_conn: object, _cursor: object, statement: str, parameters: Any, *_rest: object) -> None:  # noqa: ANN401
        shapes.append(shape(statement))
        written.extend(documents(parameters))

    listeners = (
        ("before_cursor_execute", sent),
        ("commit", lambda _conn: shapes.append("COMMIT")),
        ("rollback", lambda _conn: shapes.append("ROLLBACK")),
    )
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield shapes, written
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def check_script(shapes: Sequence[str], written: Sequence[str]) -> None:
    """Stop unless the library sent exactly the script's statements and wrote one document per ``:d<n>``."""
    # SQLAlchemy reports a rollback also when the pool resets a connection already committed: not a statement.
    sent = [
        s for i, s in enumerate(shapes) if not (s == "ROLLBACK" and i > 0 and shapes[i - 1] in ("COMMIT", "ROLLBACK"))
    ]
    expected = script_shapes()
    if sent != expected:
        raise SystemExit(f"the library's statements are not the script's:\nlibrary: {sent}\nscript:  {expected}")
    wanted = len(set(re.findall(r":d(\d+)\b", SCRIPT.read_text(encoding="utf-8"))))
    if len(written) != wanted:
        raise SystemExit(f"the library wrote {len(written)} documents, the script writes {wanted}")


def make_scratch(dsn: str, source: str, scratch: str, template: dict[str, str], count: int) -> None:
    """Migrate ``scratch`` and fill it with ``count`` numbered copies of the template order's rows from ``source``.

    ``template`` gives the key of each copied table's row in ``source`` (by table name).
    """
    engine = postgres_engine(dsn, schema=scratch, pool_size=1)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            for table, key, numbered in COPIES:
                columns = ", ".join(f'"{c.name}"' for c in table.columns)
                values = ", ".join(numbered.get(c.name, f't."{c.name}"') for c in table.columns)
                connection.execute(
                    text(
                        f'INSERT INTO "{scratch}"."{table.name}" ({columns}) SELECT {values}'  # noqa: S608 - ours
                        f' FROM "{source}"."{table.name}" AS t CROSS JOIN generate_series(1, :count) AS g'
                        f' WHERE t."{key}" = :key'
                    ),
                    {"count": count, "key": template[table.name]},
                )
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def pgbench(dsn: str, scratch: str, written: Sequence[str], *, clients: int, each: int, base: int) -> tuple[float, int]:
    """Run the script in ``scratch`` by ``clients`` clients, ``each`` transactions each, on orders after ``base``.

    Returns pgbench's transactions per second (without connection time) and the transactions processed.
    """
    program = shutil.which("pgbench")
    if program is None:
        raise SystemExit("pgbench is not installed (apt-get install postgresql-client)")
    url = make_url(dsn)
    command = [program, "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients), "-t", str(each)]
    command += ["-D", f"base={base}", "-D", f"clients={clients}", "-D", "i=0", "-f", str(SCRIPT)]
    command += [item for n, document in enumerate(written, 1) for item in ("-D", f"d{n}={document}")]
    command += ["-h", url.host or "localhost", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    command.append(url.database or "postgres")
    env = {**os.environ, "PGOPTIONS": f"-c search_path={scratch}"}
    if url.password:
        env["PGPASSWORD"] = url.password
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - our own command
    tps, processed = TPS.search(done.stdout), PROCESSED.search(done.stdout)
    if done.returncode != 0 or tps is None or processed is None:
        raise SystemExit(f"pgbench failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return float(tps.group(1)), int(processed.group(1))


def fulfilled(engine: Engine, scratch: str) -> int:
    """How many of the scratch schema's orders pgbench fulfilled (each transaction fulfils one)."""
    with engine.connect() as connection:
        query = text(f"SELECT count(*) FROM \"{scratch}\".orders WHERE state = 'fulfilled'")  # noqa: S608 - ours
        return int(connection.execute(query).scalar_one())
