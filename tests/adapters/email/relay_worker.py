"""One outbox relay in a process of its own, for ``test_relay_processes.py`` (N2).

Run as ``python relay_worker.py DATABASE SCHEMA PORT AT LEASE GO BATCH``: ``DATABASE`` is a SQLite file or a
PostgreSQL DSN (``SCHEMA`` its schema, ``-`` for SQLite); ``PORT`` the SMTP server on 127.0.0.1; ``AT`` the fixed
instant of the relay's clock (ISO 8601); ``LEASE`` its lease in seconds; ``GO`` a file whose appearance starts
the relay, so that every process starts at once. The relay runs until a run claims nothing, then prints how
many it sent.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from subscription_core.catalog_files import load_catalog
from subscription_core.services import relay_outbox
from subscription_core_adapters.bootstrap import bootstrap_memory
from subscription_core_adapters.email import Security, SmtpNotifier, SmtpSettings
from subscription_core_adapters.local import ManualClock
from subscription_core_adapters.sql import SqlUnitOfWorkFactory, postgres_engine, sqlite_engine

CATALOG = Path(__file__).resolve().parents[3] / "examples" / "catalogs" / "amis_vn.toml"
START_WITHIN = 60.0  # seconds to wait for the go file


def main(database: str, schema: str, port: str, at: str, lease: str, go: str, batch: str) -> None:
    """Relay until nothing is left to claim; print the number sent."""
    postgresql = database.startswith("postgresql")
    engine = postgres_engine(database, schema=schema) if postgresql else sqlite_engine(database)
    settings = SmtpSettings(
        host="127.0.0.1",
        port=int(port),
        security=Security.NONE,
        sender="thongbao@vendor.example.vn",
        message_id_domain="notices.vendor.example.vn",
        timeout=30.0,
    )
    clock = ManualClock(dt.datetime.fromisoformat(at))
    deps = bootstrap_memory(
        load_catalog(CATALOG), clock=clock, uow=SqlUnitOfWorkFactory(engine), notifier=SmtpNotifier(settings)
    )
    deadline = time.monotonic() + START_WITHIN
    while not Path(go).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    sent = 0
    while True:
        done = relay_outbox(deps, batch=int(batch), lease=dt.timedelta(seconds=float(lease)))
        sent += done.sent
        if done.sent + done.failed + done.dead == 0:
            break
    engine.dispose()
    print(sent)  # noqa: T201 - the test reads it


if __name__ == "__main__":
    main(*sys.argv[1:])
