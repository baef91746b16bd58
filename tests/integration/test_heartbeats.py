"""Worker processes' heartbeats on a real SQLite file and PostgreSQL: a process's row is
written at once and renewed, listed while recent, removed when the process stops; a
database that refuses the beat never fails the process."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.heartbeats import (
    Heartbeat,
    HeartbeatWriter,
    beat,
    forget,
    forget_older_than,
    seen_since,
)
from tests.support.waiting import eventually

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def process(id: str, *, started_ago: float, seen_ago: float) -> Heartbeat:
    return Heartbeat(
        id=id,
        host="h-1",
        pid=42,
        roles=("commands", "relay"),
        started_at=NOW - timedelta(seconds=started_ago),
        last_seen=NOW - timedelta(seconds=seen_ago),
    )


async def test_a_beat_is_written_then_renewed_and_listed_while_recent(engine: AsyncEngine) -> None:
    await beat(engine, process("p-1", started_ago=100, seen_ago=100))
    await beat(engine, process("p-2", started_ago=50, seen_ago=3))
    await beat(engine, process("p-1", started_ago=100, seen_ago=1))  # renewed
    await beat(engine, process("p-3", started_ago=10, seen_ago=40))  # stale

    recent = await seen_since(engine, NOW - timedelta(seconds=30))

    assert [p.id for p in recent] == ["p-1", "p-2"]  # oldest start first
    assert recent[0] == process("p-1", started_ago=100, seen_ago=1)
    assert recent[0].to_json(NOW)["seconds_since_seen"] == 1.0
    assert recent[0].to_json(NOW)["roles"] == ["commands", "relay"]

    await forget(engine, "p-1")
    assert [p.id for p in await seen_since(engine, NOW - timedelta(days=1))] == ["p-2", "p-3"]
    await beat(engine, process("p-old", started_ago=3 * 86400, seen_ago=2 * 86400))
    assert await forget_older_than(engine, timedelta(days=1)) == 1
    assert [p.id for p in await seen_since(engine, NOW - timedelta(days=9))] == ["p-2", "p-3"]


async def test_the_writer_beats_until_stopped_then_removes_its_row(engine: AsyncEngine) -> None:
    writer = HeartbeatWriter(engine, ("projector",), interval=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(writer.run(stop))
    await eventually(lambda: writer.beats >= 3, timeout=10)

    [mine] = await seen_since(engine, datetime.now(UTC) - timedelta(seconds=5))
    assert mine.id == writer.process.id
    assert (mine.roles, mine.pid, mine.host) == (
        ("projector",),
        writer.process.pid,
        writer.process.host,
    )
    assert mine.started_at == writer.process.started_at
    assert mine.last_seen > mine.started_at

    stop.set()
    await asyncio.wait_for(task, 10)
    assert await seen_since(engine, NOW - timedelta(days=1)) == []


async def test_a_database_that_refuses_the_beat_never_fails_the_process(tmp_path: Path) -> None:
    # No tables at all: every beat fails; the writer keeps trying and stops when told.
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        writer = HeartbeatWriter(engine, ("commands",), interval=0.05)
        stop = asyncio.Event()
        task = asyncio.create_task(writer.run(stop))
        await asyncio.sleep(0.3)
        assert not task.done()
        stop.set()
        await asyncio.wait_for(task, 10)
        assert writer.beats == 0
    finally:
        await engine.dispose()


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        HeartbeatWriter(create_engine("sqlite:///unused.db"), ("relay",), interval=0)
