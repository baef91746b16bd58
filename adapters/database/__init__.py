"""The database: SQLite file by default, PostgreSQL in production, one schema for both."""
