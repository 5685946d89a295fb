"""The Alembic migrations of the SQL adapter's schema (run with ``subscription_core_adapters.sql.migrating``)."""
