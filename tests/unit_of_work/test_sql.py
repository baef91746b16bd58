"""The SQL Unit of Work on a real SQLite file and a real PostgreSQL (``database_url``)."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from adapters.database.engine import create_engine
from adapters.database.schema import outbox
from adapters.database.unit_of_work import SqlUnitOfWork
from application.records import OutboxMessage

from .cases import UnitOfWorkCases, World


class TestSqlUnitOfWork(UnitOfWorkCases):
    @pytest.fixture
    async def world(self, database_url: str) -> AsyncIterator[World]:
        engine = create_engine(database_url)

        async def committed() -> list[OutboxMessage]:
            async with engine.connect() as c:
                rows = (await c.execute(select(outbox).order_by(outbox.c.seq))).mappings()
                return [
                    OutboxMessage(
                        r["event_id"], r["topic"], r["key"], r["payload"], r["properties"]
                    )
                    for r in rows
                ]

        yield World(lambda: SqlUnitOfWork(engine), committed)
        await engine.dispose()
