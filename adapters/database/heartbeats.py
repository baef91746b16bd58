"""Heartbeats: each worker process (and `alpes dev`) says every few seconds that it is alive
and what it runs, so that `alpes status` can list the processes seen recently.

A beat is one small write of the process's own row; a database outage only delays it (the
row then looks stale, which is the truth: that process cannot reach the database). A
process that stops gracefully removes its row; one that dies leaves it, and it ages out
of `alpes status` by itself. Rows not renewed for a day are deleted when a process starts.
"""

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from .schema import worker_heartbeats
from .times import utc

log = logging.getLogger("alpes.heartbeat")

DEFAULT_INTERVAL = 5.0
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A worker process as its last beat described it."""

    id: str
    host: str
    pid: int
    roles: tuple[str, ...]
    started_at: datetime
    last_seen: datetime

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        moment = now or datetime.now(UTC)
        return {
            "id": self.id,
            "host": self.host,
            "pid": self.pid,
            "roles": list(self.roles),
            "started_at": self.started_at.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "seconds_since_seen": round((moment - self.last_seen).total_seconds(), 1),
        }


async def beat(engine: AsyncEngine, process: Heartbeat) -> None:
    """Write the process's row: renew it, or insert it on the first beat."""
    async with engine.begin() as connection:
        renewed = await connection.execute(
            update(worker_heartbeats)
            .where(worker_heartbeats.c.id == process.id)
            .values(last_seen=process.last_seen, roles=",".join(process.roles))
        )
        if renewed.rowcount == 0:
            await connection.execute(
                insert(worker_heartbeats).values(
                    id=process.id,
                    host=process.host,
                    pid=process.pid,
                    roles=",".join(process.roles),
                    started_at=process.started_at,
                    last_seen=process.last_seen,
                )
            )


async def forget(engine: AsyncEngine, process_id: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            delete(worker_heartbeats).where(worker_heartbeats.c.id == process_id)
        )


async def forget_older_than(engine: AsyncEngine, age: timedelta) -> int:
    cutoff = datetime.now(UTC) - age
    async with engine.begin() as connection:
        result = await connection.execute(
            delete(worker_heartbeats).where(worker_heartbeats.c.last_seen < cutoff)
        )
    return int(result.rowcount)


async def seen_since(engine: AsyncEngine, since: datetime) -> list[Heartbeat]:
    """The processes whose last beat is at or after ``since``, oldest start first."""
    query = (
        select(worker_heartbeats)
        .where(worker_heartbeats.c.last_seen >= since)
        .order_by(worker_heartbeats.c.started_at, worker_heartbeats.c.id)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [
        Heartbeat(
            id=row["id"],
            host=row["host"],
            pid=row["pid"],
            roles=tuple(r for r in row["roles"].split(",") if r),
            started_at=utc(row["started_at"]),
            last_seen=utc(row["last_seen"]),
        )
        for row in rows
    ]


class HeartbeatWriter:
    """Beats for this process every ``interval`` seconds until stopped, then removes its row.

    Never fails the process: a beat that cannot be written is logged (once per outage)
    and tried again at the next interval.
    """

    def __init__(
        self, engine: AsyncEngine, roles: Sequence[str], *, interval: float = DEFAULT_INTERVAL
    ) -> None:
        if interval <= 0:
            msg = f"heartbeat interval must be > 0 seconds, got {interval}"
            raise ValueError(msg)
        self._engine = engine
        self._interval = interval
        host = socket.gethostname()
        pid = os.getpid()
        now = datetime.now(UTC)
        self.process = Heartbeat(
            id=f"{host}:{pid}:{uuid.uuid4().hex[:8]}"[-128:],
            host=host[:255],
            pid=pid,
            roles=tuple(roles),
            started_at=now,
            last_seen=now,
        )
        self.beats = 0

    async def run(self, stop: asyncio.Event) -> None:
        failing = False
        try:
            await forget_older_than(self._engine, FORGET_AFTER)
        except Exception as error:
            log.debug("heartbeat: old rows not removed: %s", error)
        while not stop.is_set():
            try:
                await self.beat_once()
                if failing:
                    log.warning("heartbeat: written again")
                failing = False
            except Exception as error:
                if not failing:
                    log.warning(
                        "heartbeat: not written (%s); trying every %.0fs", error, self._interval
                    )
                failing = True
            try:
                await asyncio.wait_for(stop.wait(), self._interval)
            except TimeoutError:
                pass
        try:
            await asyncio.wait_for(forget(self._engine, self.process.id), 5.0)
        except Exception as error:
            log.warning("heartbeat: row %s not removed at stop: %s", self.process.id, error)

    async def beat_once(self) -> None:
        now = datetime.now(UTC)
        await beat(self._engine, _with_last_seen(self.process, now))
        self.beats += 1


def _with_last_seen(process: Heartbeat, now: datetime) -> Heartbeat:
    return Heartbeat(process.id, process.host, process.pid, process.roles, process.started_at, now)
