"""The Alembic migrations of the SQL adapter's schema (run them with ``adapters.sql.engine.upgrade``)."""
