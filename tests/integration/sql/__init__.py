"""Integration tests of the SQL adapter on SQLite and PostgreSQL (beyond the contract suites it also runs)."""
