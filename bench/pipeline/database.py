"""What the service wrote, read back: progress, the rows' own timestamps, and the rows
themselves for the raw insert baseline."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.schema import campaigns, command_log, outbox
from bench.common import BenchError

from .commands import index_of


def epoch(value: datetime) -> float:
    """SQLite hands back naive datetimes (stored as UTC), PostgreSQL aware ones."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


async def progress(engine: AsyncEngine) -> tuple[int, int]:
    """(command_log rows, outbox rows not yet published)."""
    async with engine.connect() as c:
        done = (await c.execute(select(func.count()).select_from(command_log))).scalar_one()
        pending = (
            await c.execute(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        ).scalar_one()
    return int(done), int(pending)


@dataclass
class Timings:
    first_processed: float
    last_published: float
    first_batch: int
    batches: int
    rows: int


async def timings(engine: AsyncEngine, tag: str) -> Timings:
    """From the rows' own timestamps: command_log.processed_at (one per batch: when the
    batch's writes began) and outbox.published_at (when the relay marked its batch)."""
    like = f"b-{tag}-%"
    async with engine.connect() as c:
        row = (
            await c.execute(
                select(
                    func.min(command_log.c.processed_at),
                    func.count(func.distinct(command_log.c.processed_at)),
                    func.count(),
                ).where(command_log.c.command_id.like(like))
            )
        ).one()
        first, batches, rows = row
        first_batch = (
            await c.execute(
                select(func.count())
                .select_from(command_log)
                .where(command_log.c.processed_at == first, command_log.c.command_id.like(like))
            )
        ).scalar_one()
        published = (
            await c.execute(
                select(func.max(outbox.c.published_at)).where(outbox.c.key.like(f"c-{tag}-%"))
            )
        ).scalar_one()
    if first is None or published is None:
        raise BenchError("no processed or published row to time")
    return Timings(epoch(first), epoch(published), int(first_batch), int(batches), int(rows))


async def processed_at(engine: AsyncEngine, tag: str) -> dict[int, float]:
    """command index -> processed_at, for the commands of a paced run."""
    async with engine.connect() as c:
        rows = await c.execute(
            select(command_log.c.command_id, command_log.c.processed_at).where(
                command_log.c.command_id.like(f"b-{tag}-%")
            )
        )
        out = {}
        for cid, at in rows:
            index = index_of(cid, tag)
            if index is not None:
                out[index] = epoch(at)
    return out


@dataclass
class RowSet:
    campaigns: list[dict[str, Any]]
    outbox: list[dict[str, Any]]
    command_log: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.command_log)


async def read_rows(url: str, tag: str) -> RowSet:
    """The rows the service wrote for the backlog ``tag``, as it wrote them (outbox rows
    as unpublished, without their sequence number)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as c:
            camps = [
                dict(r._mapping)
                for r in await c.execute(select(campaigns).where(campaigns.c.id.like(f"c-{tag}-%")))
            ]
            box = [
                {k: v for k, v in r._mapping.items() if k != "seq"} | {"published_at": None}
                for r in await c.execute(select(outbox).where(outbox.c.key.like(f"c-{tag}-%")))
            ]
            log = [
                dict(r._mapping)
                for r in await c.execute(
                    select(command_log).where(command_log.c.command_id.like(f"b-{tag}-%"))
                )
            ]
    finally:
        await engine.dispose()
    # Each event is written once per published contract version.
    if not (len(camps) == len(log) and log and len(box) % len(log) == 0):
        raise BenchError(
            f"uneven rows: {len(camps)} campaigns, {len(box)} outbox, {len(log)} command_log"
        )
    return RowSet(camps, box, log)


async def insert_rows(url: str, rows: RowSet, batch: int) -> float:
    """Insert ``rows`` into the fresh database ``url`` with Core executemany, ``batch``
    commands (a campaign, its outbox rows and a command_log row each) per transaction, as the
    service's batch writer does; returns commands per second."""

    per = len(rows.outbox) // len(rows)  # outbox rows per command: one per version

    engine = create_engine(url)
    try:
        async with engine.connect():
            pass  # open the pool's first connection outside the clock
        started = time.perf_counter()
        for start in range(0, len(rows), batch):
            end = start + batch
            async with engine.begin() as c:
                await c.execute(insert(campaigns), rows.campaigns[start:end])
                await c.execute(insert(outbox), rows.outbox[start * per : end * per])
                await c.execute(insert(command_log), rows.command_log[start:end])
        elapsed = time.perf_counter() - started
        async with engine.connect() as c:
            count = (await c.execute(select(func.count()).select_from(command_log))).scalar_one()
    finally:
        await engine.dispose()
    if count != len(rows):
        raise BenchError(f"raw insert wrote {count} of {len(rows)} command rows")
    return len(rows) / elapsed
