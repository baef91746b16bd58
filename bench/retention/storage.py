"""What a run's database holds, read while the load runs: rows, bytes, and the command
log's ``processed_at`` of the load's commands (read before retention deletes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, Table, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.database.schema import campaigns, command_log, outbox
from bench.pipeline.database import epoch

from .load import Load

TABLES = ("outbox", "command_log", "campaigns")


@dataclass(frozen=True)
class Storage:
    outbox_published: int
    outbox_pending: int
    command_log: int
    campaigns: int
    # SQLite: the database file, its WAL, and the bytes of the pages in use
    # ((page_count - freelist_count) x page_size: deleted rows' pages are free for reuse,
    # but the file does not shrink). PostgreSQL: pg_database_size, no WAL figure (None), and the
    # three tables with their indexes and TOAST (dead rows count until vacuumed).
    file_bytes: int
    wal_bytes: int | None
    used_bytes: int


async def read_storage(engine: AsyncEngine, url: str) -> Storage:
    published = outbox.c.published_at
    counts: list[tuple[Table, list[ColumnElement[bool]]]] = [
        (outbox, [published.is_not(None)]),
        (outbox, [published.is_(None)]),
        (command_log, []),
        (campaigns, []),
    ]
    async with engine.connect() as c:
        rows = [
            int((await c.execute(select(func.count()).select_from(t).where(*w))).scalar_one())
            for t, w in counts
        ]
        if engine.dialect.name == "sqlite":
            sizes = await _sqlite_bytes(c, make_url(url).database or "")
        else:
            sizes = await _postgres_bytes(c)
    published_rows, pending_rows, logged, campaign_rows = rows
    return Storage(published_rows, pending_rows, logged, campaign_rows, *sizes)


async def _sqlite_bytes(c: AsyncConnection, path: str) -> tuple[int, int | None, int]:
    page_size, pages, free = [
        int((await c.exec_driver_sql(f"PRAGMA {pragma}")).scalar_one())
        for pragma in ("page_size", "page_count", "freelist_count")
    ]
    wal = Path(f"{path}-wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0  # noqa: ASYNC240 (a local stat)
    return Path(path).stat().st_size, wal_bytes, (pages - free) * page_size  # noqa: ASYNC240


async def _postgres_bytes(c: AsyncConnection) -> tuple[int, int | None, int]:
    size = (await c.execute(text("SELECT pg_database_size(current_database())"))).scalar_one()
    return int(size), None, sum((await _table_bytes(c)).values())


async def table_bytes(engine: AsyncEngine) -> dict[str, int]:
    """Bytes of each table the load grows, with its indexes. On SQLite this reads every
    page (the dbstat table): once, at the end."""
    async with engine.connect() as c:
        return await _table_bytes(c)


async def _table_bytes(c: AsyncConnection) -> dict[str, int]:
    if c.dialect.name == "sqlite":
        rows = await c.execute(
            text(
                "SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat AS d "
                "JOIN sqlite_master AS m ON m.name = d.name GROUP BY m.tbl_name"
            )
        )
        found = {str(name): int(size) for name, size in rows}
    else:
        query = text("SELECT pg_total_relation_size(CAST(:t AS regclass))")
        found = {t: int((await c.execute(query, {"t": t})).scalar_one()) for t in TABLES}
    return {t: found.get(t, 0) for t in TABLES}


async def read_processed(engine: AsyncEngine, load: Load, since: datetime) -> datetime:
    """Record the ``processed_at`` of the load's commands logged since ``since``; returns
    where the next read may start. A row's processed_at is when its batch began writing,
    so a batch committed after this read may carry an earlier time: the next read starts
    a margin back (the rows are read again, harmlessly)."""
    latest = since
    async with engine.connect() as c:
        rows = await c.execute(
            select(command_log.c.command_id, command_log.c.processed_at).where(
                command_log.c.processed_at >= since,
                command_log.c.command_id.like(f"{load.prefix}%"),
            )
        )
        for command_id, at in rows:
            index = load.index_of(command_id)
            if index is not None and index < len(load.processed_at):
                load.processed_at[index] = epoch(at)
            latest = max(latest, at if at.tzinfo else at.replace(tzinfo=since.tzinfo))
    return max(since, latest - timedelta(seconds=10))
