"""Retention on a real SQLite file and a real PostgreSQL: what is past its retention goes,
oldest first, a bounded batch per transaction; nothing pending and nothing recent goes."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.retention_store import SqlRetentionStore
from adapters.database.schema import command_log, outbox, projected_events
from application.retention import Purged, Retention, RetentionPurger

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def outbox_row(
    engine: AsyncEngine, event_id: str, created_days: float, published_days: float | None
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(outbox).values(
                event_id=event_id,
                topic="t",
                key="c-1",
                payload=b"{}",
                properties={},
                created_at=NOW - timedelta(days=created_days),
                published_at=None
                if published_days is None
                else NOW - timedelta(days=published_days),
            )
        )


async def command_row(engine: AsyncEngine, command_id: str, processed_days: float) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(command_log).values(
                command_id=command_id,
                command_type="CrearCampana",
                campana_id="c-1",
                fingerprint="f" * 64,
                status="applied",
                event_ids=[],
                processed_at=NOW - timedelta(days=processed_days),
            )
        )


async def outbox_ids(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set((await connection.execute(select(outbox.c.event_id))).scalars())


async def command_ids(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set((await connection.execute(select(command_log.c.command_id))).scalars())


class CountingStore(SqlRetentionStore):
    """The SQL store, recording how many rows each delete removed."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.outbox_batches: list[int] = []
        self.command_batches: list[int] = []

    async def delete_published_before(self, cutoff: datetime, limit: int) -> int:
        deleted = await super().delete_published_before(cutoff, limit)
        self.outbox_batches.append(deleted)
        return deleted

    async def delete_commands_before(self, cutoff: datetime, limit: int) -> int:
        deleted = await super().delete_commands_before(cutoff, limit)
        self.command_batches.append(deleted)
        return deleted


async def test_only_rows_past_their_retention_go_in_batches_and_never_a_pending_one(
    engine: AsyncEngine,
) -> None:
    for n in range(7):  # published 8 to 14 days ago: past a 7-day retention
        await outbox_row(engine, f"old-{n}", created_days=20, published_days=8 + n)
    await outbox_row(engine, "recent", created_days=2, published_days=1)
    await outbox_row(engine, "pending-for-weeks", created_days=30, published_days=None)
    for n in range(4):
        await command_row(engine, f"cmd-old-{n}", processed_days=31 + n)
    await command_row(engine, "cmd-recent", processed_days=29)
    store = CountingStore(engine)
    seen: list[Purged] = []
    purger = RetentionPurger(
        store,
        Retention(outbox=timedelta(days=7), command_log=timedelta(days=30), batch_size=3),
        clock=lambda: NOW,
        on_purged=seen.append,
    )

    purged = await purger.purge_once()

    assert purged == Purged(outbox=7, command_log=4)
    assert seen == [purged]
    assert await outbox_ids(engine) == {"recent", "pending-for-weeks"}
    assert await command_ids(engine) == {"cmd-recent"}
    assert store.outbox_batches == [3, 3, 1]  # never more than a batch per transaction
    assert store.command_batches == [3, 1]
    assert await purger.purge_once() == Purged()  # caught up: nothing more to delete


async def test_the_oldest_rows_go_first(engine: AsyncEngine) -> None:
    for n in range(5):
        await outbox_row(engine, f"e-{n}", created_days=30, published_days=10 + n)
    store = SqlRetentionStore(engine)

    assert await store.delete_published_before(NOW - timedelta(days=7), 2) == 2

    assert await outbox_ids(engine) == {"e-0", "e-1", "e-2"}  # e-4 and e-3 were oldest


async def test_a_zero_retention_keeps_that_kind_for_ever(engine: AsyncEngine) -> None:
    await outbox_row(engine, "ancient", created_days=900, published_days=900)
    await command_row(engine, "cmd-ancient", processed_days=900)
    purger = RetentionPurger(
        SqlRetentionStore(engine),
        Retention(outbox=timedelta(0), command_log=timedelta(days=30)),
        clock=lambda: NOW,
    )

    assert await purger.purge_once() == Purged(outbox=0, command_log=1)
    assert await outbox_ids(engine) == {"ancient"}


async def test_the_background_task_purges_until_stopped(engine: AsyncEngine) -> None:
    await outbox_row(engine, "old", created_days=30, published_days=10)
    purger = RetentionPurger(
        SqlRetentionStore(engine),
        Retention(outbox=timedelta(days=7), interval=0.05),
        clock=lambda: NOW,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(purger.run(stop))
    try:
        async with asyncio.timeout(10):
            while await outbox_ids(engine):
                await asyncio.sleep(0.05)
        await outbox_row(engine, "old-too", created_days=30, published_days=9)
        async with asyncio.timeout(10):
            while await outbox_ids(engine):
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def projected(engine: AsyncEngine, event_id: str, days: float) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(projected_events).values(
                event_id=event_id, projected_at=NOW - timedelta(days=days)
            )
        )


async def test_the_projectors_record_of_applied_events_goes_with_the_outboxs_retention(
    engine: AsyncEngine,
) -> None:
    for n in range(4):
        await projected(engine, f"old-{n}", days=8 + n)
    await projected(engine, "recent", days=6)
    purger = RetentionPurger(
        SqlRetentionStore(engine),
        Retention(outbox=timedelta(days=7), command_log=timedelta(0), batch_size=3),
        clock=lambda: NOW,
    )

    assert await purger.purge_once() == Purged(projected_events=4)

    async with engine.connect() as connection:
        left = set((await connection.execute(select(projected_events.c.event_id))).scalars())
    assert left == {"recent"}
