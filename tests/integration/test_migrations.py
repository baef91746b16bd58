"""One Alembic history for SQLite and PostgreSQL, matching the code's tables exactly."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from adapters.database.engine import create_engine
from adapters.database.migrate import (
    DatabaseNotAtHeadError,
    _config,
    current_revision,
    head_revision,
    require_head,
    upgrade,
)
from adapters.database.schema import metadata


async def test_the_migrated_schema_is_exactly_the_codes_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), metadata)
            )
    finally:
        await engine.dispose()
    assert differences == []


async def test_a_database_not_at_head_is_refused_with_the_fix(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    with pytest.raises(DatabaseNotAtHeadError) as error:
        await require_head(url)
    assert f"the code needs {head_revision()}" in str(error.value)
    assert "alpes db upgrade" in str(error.value)


async def test_migration_0004_goes_down_and_up_again(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.downgrade(_config(c), "0003"))
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert "worker_heartbeats" not in tables
        assert await current_revision(database_url) == "0003"
    finally:
        await engine.dispose()
    assert await upgrade(database_url) == head_revision()
    await test_the_migrated_schema_is_exactly_the_codes_schema(database_url)
