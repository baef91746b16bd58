"""Alembic migrations: one history for SQLite and PostgreSQL (`alpes db upgrade`)."""
