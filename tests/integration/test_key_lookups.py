"""A batch's lookups by many keys stay index lookups on real databases."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.keys import where_one_of
from adapters.database.migrate import upgrade
from adapters.database.schema import command_log
from tests.support.servers.postgres import create_database, drop_database

ROWS = 5000
KEYS = [f"cmd-{n}" for n in range(1000, 1256)]  # a full batch of 256


async def filled(url: str) -> AsyncEngine:
    engine = create_engine(url)
    now = datetime.now(UTC)
    rows = [
        {
            "command_id": f"cmd-{n}",
            "command_type": "crear-campana",
            "campana_id": f"c-{n}",
            "fingerprint": "f",
            "status": "applied",
            "event_ids": [],
            "processed_at": now,
        }
        for n in range(ROWS)
    ]
    async with engine.begin() as connection:
        await connection.execute(insert(command_log), rows)
    return engine


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await filled(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def postgres_engine(postgres_server: str) -> AsyncIterator[AsyncEngine]:
    url = await create_database(postgres_server)
    try:
        await upgrade(url)
        engine = await filled(url)
        yield engine
        await engine.dispose()
    finally:
        await drop_database(postgres_server, url)


async def test_a_batch_of_keys_finds_exactly_its_rows(engine: AsyncEngine) -> None:
    statement = where_one_of(
        select(command_log.c.command_id), command_log.c.command_id, KEYS, engine.dialect.name
    )
    async with engine.connect() as connection:
        found = set((await connection.execute(statement)).scalars())
    assert found == set(KEYS)


async def test_on_postgresql_a_generic_plan_still_looks_each_key_up_by_index(
    postgres_engine: AsyncEngine,
) -> None:
    engine = postgres_engine  # SQLite looks IN lists up by index anyway
    async with engine.connect() as connection:
        # As autovacuum leaves it, and the plan a prepared statement ends up with.
        await connection.execute(text("ANALYZE command_log"))
        await connection.execute(text("SET plan_cache_mode = force_generic_plan"))

        async def plan(statement: object) -> str:
            compiled = statement.compile(  # type: ignore[attr-defined]
                dialect=engine.dialect, compile_kwargs={"render_postcompile": True}
            )
            values = [compiled.params[name] for name in compiled.positiontup]
            args = ", ".join(
                "'{" + ",".join(v) + "}'" if isinstance(v, list) else f"'{v}'" for v in values
            )
            await connection.exec_driver_sql(f"PREPARE probe AS {compiled}")
            rows = await connection.exec_driver_sql(f"EXPLAIN EXECUTE probe({args})")
            await connection.exec_driver_sql("DEALLOCATE probe")
            return "\n".join(r[0] for r in rows)

        ours = await plan(
            where_one_of(select(command_log), command_log.c.command_id, KEYS, "postgresql")
        )
    # One index probe per key. A plain IN list gets a bitmap or a sequential scan
    # (which one depends on the statistics): with a generic plan, the sequential scan
    # compares every row with every key.
    assert "Nested Loop" in ours, ours
    assert "Index Scan using command_log_pkey on command_log" in ours, ours
