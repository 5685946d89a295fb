"""The SQL adapter: every storage port on SQLAlchemy Core, over SQLite (embedded default) or PostgreSQL.

Wire it with::

    engine = sqlite_engine("subscriptions.db")        # created and migrated on first use
    # or: engine = postgres_engine("postgresql://app@db/prod"); upgrade(engine)  # schema subscription_core
    factory = SqlUnitOfWorkFactory(engine)
    with factory() as uow:
        uow.customers.add(customer)
        uow.commit()

Each entity is stored whole as a JSON document (:mod:`subscription_core_adapters.sql.serialization`) beside the typed,
indexed columns its queries and constraints need (:mod:`subscription_core_adapters.sql.schema`); the Alembic migrations
in ``migrations/`` build that schema, with a history of their own (:mod:`subscription_core_adapters.sql.migrating`).
The same contract tests (``tests/contract``) run on this adapter and on the in-memory one. Importing this package
needs the ``sql`` extra (SQLAlchemy, psycopg, Alembic).
"""

from subscription_core_adapters.sql.driver_errors import TransientConflictError
from subscription_core_adapters.sql.engine import DEFAULT_SCHEMA, DEFAULT_SQLITE_FILE, postgres_engine, sqlite_engine
from subscription_core_adapters.sql.migrating import VERSION_TABLE, current, offline_sql, upgrade
from subscription_core_adapters.sql.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory, run_in_transaction

__all__ = [
    "DEFAULT_SCHEMA",
    "DEFAULT_SQLITE_FILE",
    "VERSION_TABLE",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "TransientConflictError",
    "current",
    "offline_sql",
    "postgres_engine",
    "run_in_transaction",
    "sqlite_engine",
    "upgrade",
]
