"""The SQL unit of work beyond the contract: driver errors translated, bounded retries, SQLite's single writer."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import OperationalError

from subscription_core.errors import (
    ConflictError,
    NotFoundError,
    StorageError,
    SubscriptionError,
    ValidationError,
)
from subscription_core_adapters.sql import (
    SqlUnitOfWork,
    SqlUnitOfWorkFactory,
    TransientConflictError,
    postgres_engine,
    run_in_transaction,
    sqlite_engine,
)
from subscription_core_adapters.sql.driver_errors import translate
from subscription_core_adapters.sql.schema import subscription_history

from .builders import T0, customer, subscription


def test_a_unit_of_work_used_outside_its_block_says_so(units: SqlUnitOfWorkFactory) -> None:
    uow = units()
    with pytest.raises(SubscriptionError, match="not begun"):
        uow.customers.get("cus-1")
    with uow, pytest.raises(SubscriptionError, match="already begun"):
        uow.__enter__()


def _closed_port() -> int:
    # A port the system just gave and took back: nothing listens on it.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_database_is_a_retryable_storage_error_not_a_bad_request() -> None:
    engine = postgres_engine(f"postgresql://nobody@127.0.0.1:{_closed_port()}/none")
    try:
        with pytest.raises(StorageError) as caught, SqlUnitOfWorkFactory(engine)():
            pass
        assert "could not connect to the database" in caught.value.message
        assert not str(caught.value).endswith("got None")  # no driver code to show: nothing after the message
        assert not isinstance(caught.value, ValidationError | ConflictError | NotFoundError)
        assert (caught.value.code, caught.value.retryable) == ("storage", True)
        assert caught.value.as_dict()["code"] == "storage"
    finally:
        engine.dispose()


def test_a_driver_failure_without_a_code_shows_no_value() -> None:
    failure = OperationalError("SELECT 1", {}, Exception("connection refused"))  # no SQLSTATE, no SQLite code
    error = translate(failure, "read the database's revision")
    assert isinstance(error, StorageError)
    assert str(error) == (
        "database: could not read the database's revision: the database failed (Exception: connection refused)"
    )
    assert "value" not in error.as_dict()


def test_a_broken_constraint_is_a_conflict_whose_message_holds_no_parameter(units: SqlUnitOfWorkFactory) -> None:
    card_like_id = "cus-4111111111111111"
    row = {"subscription_id": card_like_id, "position": 0, "at": T0, "event": "renew", "document": {}}
    with units() as uow, pytest.raises(ConflictError) as caught:
        uow._rows.execute(insert(subscription_history).values(row), "record history")  # no such subscription
    assert card_like_id not in str(caught.value)
    assert caught.value.message.startswith("could not record history: a stored record conflicts")


def test_inputs_are_checked_before_any_statement(units: SqlUnitOfWorkFactory) -> None:
    naive = dt.datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with units() as uow:
        with pytest.raises(ValidationError) as caught:
            uow.subscriptions.due(naive, limit=1)
        assert caught.value.rule == "D2"
        with pytest.raises(ValidationError):
            uow.orders.unpaid_past_deadline(T0, limit=-1)
        with pytest.raises(ValidationError):
            uow.customers.add("cus-1")  # type: ignore[arg-type]
        with pytest.raises(ValidationError) as caught:
            uow.payments.record_notification(" ", "evt-1", order_id="ord-1", at=T0)
        assert caught.value.rule == "Y5"


class _Flaky:
    """A unit of work's body that loses ``losses`` races, then returns ``"done"``."""

    def __init__(self, losses: int) -> None:
        self.losses = losses
        self.runs = 0

    def __call__(self, uow: SqlUnitOfWork) -> str:
        self.runs += 1
        uow.customers.add(customer(f"cus-{self.runs}", n=self.runs))
        if self.runs <= self.losses:
            raise TransientConflictError("a concurrent transaction got in the way", value="40001")
        uow.commit()
        return "done"


def test_run_in_transaction_runs_again_after_transient_conflicts_and_keeps_only_the_last_run(
    units: SqlUnitOfWorkFactory,
) -> None:
    pauses: list[float] = []
    flaky = _Flaky(losses=3)
    assert run_in_transaction(units, flaky, attempts=4, first_delay=0.01, sleep=pauses.append) == "done"
    assert flaky.runs == 4
    assert len(pauses) == 3
    assert all(0.01 * 2**i <= p <= 0.02 * 2**i for i, p in enumerate(pauses))  # doubling, with jitter
    with units() as uow:
        assert [c.id for c in uow.customers.search("cong ty")] == ["cus-4"]


def test_run_in_transaction_gives_up_with_a_clear_conflict(units: SqlUnitOfWorkFactory) -> None:
    flaky = _Flaky(losses=10)
    with pytest.raises(ConflictError, match="gave up after 3 attempts") as caught:
        run_in_transaction(units, flaky, attempts=3, sleep=lambda _: None)
    assert not isinstance(caught.value, TransientConflictError)
    assert isinstance(caught.value.__cause__, TransientConflictError)
    assert flaky.runs == 3
    with units() as uow:
        assert uow.customers.search("cong ty") == []


def test_run_in_transaction_does_not_run_again_after_other_errors(units: SqlUnitOfWorkFactory) -> None:
    runs = []

    def refused(uow: SqlUnitOfWork) -> None:
        runs.append(1)
        uow.customers.get("cus-404")

    with pytest.raises(SubscriptionError, match="no such customer"):
        run_in_transaction(units, refused, sleep=lambda _: None)
    assert runs == [1]
    with pytest.raises(ValidationError):
        run_in_transaction(units, refused, attempts=0)


def test_sqlite_a_unit_that_read_before_another_committed_cannot_write(sqlite_db: Engine) -> None:
    units = SqlUnitOfWorkFactory(sqlite_db)
    with units() as uow:
        uow.customers.add(customer("cus-1"))
        uow.commit()
    with units() as late:
        read = late.customers.get("cus-1")  # its snapshot starts here
        with units() as early:
            early.customers.add(customer("cus-2", n=2))
            early.commit()
        with pytest.raises(TransientConflictError):
            late.customers.save(read.grant_buying_right("u-1"), expected_version=read.version)


def test_sqlite_a_writer_waits_for_the_write_lock_then_gives_up_retryably(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "store.db", busy_timeout=0.2)
    units = SqlUnitOfWorkFactory(engine)
    try:
        with units() as holder:
            holder.subscriptions.add(subscription("sub-1"))  # takes the write lock until the block ends
            with units() as waiter, pytest.raises(TransientConflictError) as caught:
                waiter.subscriptions.add(subscription("sub-2"))
        assert caught.value.value == "SQLITE_BUSY"
        assert (caught.value.code, caught.value.retryable) == ("transient", True)  # a lost race, not a storage failure
        assert not isinstance(caught.value, StorageError)
    finally:
        engine.dispose()


def test_engines_refuse_what_they_cannot_serve(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        sqlite_engine(":memory:")
    with pytest.raises(ValidationError):
        postgres_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValidationError):
        postgres_engine("postgresql://app@db/prod", schema="x; DROP TABLE customers")
    engine = postgres_engine("postgres://app@db/prod", schema="tenant_1")
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()


def test_postgresql_a_row_lock_waited_on_too_long_is_a_transient_conflict(postgresql_db: Engine) -> None:
    with SqlUnitOfWorkFactory(postgresql_db)() as uow:
        uow.customers.add(customer("cus-1"))
        uow.commit()
    impatient = postgres_engine(
        postgresql_db.url.render_as_string(hide_password=False), schema=_schema_of(postgresql_db), lock_timeout=0.2
    )
    try:
        with SqlUnitOfWorkFactory(postgresql_db)() as holder:
            read = holder.customers.get("cus-1")
            holder.customers.save(read.grant_buying_right("u-1"), expected_version=read.version)  # row locked
            with SqlUnitOfWorkFactory(impatient)() as waiter, pytest.raises(TransientConflictError) as caught:
                waiter.customers.save(read.grant_buying_right("u-2"), expected_version=read.version)
        assert caught.value.value == "55P03"
        assert not isinstance(caught.value, StorageError)
    finally:
        impatient.dispose()


def _schema_of(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.exec_driver_sql("SELECT current_schema()").scalar_one())
