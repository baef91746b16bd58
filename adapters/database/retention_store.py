"""Deleting what is past its retention, oldest first, a bounded batch per transaction
(``application.ports.RetentionStore``); the indexes of migration 0003 make each batch a
range scan."""

from datetime import datetime

from sqlalchemy import ColumnElement, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from .outbox_store import hold_lease
from .schema import command_log, outbox, projected_events


class SqlRetentionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def delete_published_before(self, cutoff: datetime, limit: int) -> int:
        published = outbox.c.published_at
        old = published.is_not(None) & (published < cutoff)
        return await self._delete(outbox, outbox.c.seq, old, published, limit)

    async def delete_commands_before(self, cutoff: datetime, limit: int) -> int:
        processed = command_log.c.processed_at
        old = processed < cutoff
        return await self._delete(command_log, command_log.c.command_id, old, processed, limit)

    async def delete_projected_before(self, cutoff: datetime, limit: int) -> int:
        projected = projected_events.c.projected_at
        return await self._delete(
            projected_events, projected_events.c.event_id, projected < cutoff, projected, limit
        )

    async def hold_lease(self, name: str, owner: str, ttl: float) -> bool:
        return await hold_lease(self._engine, name, owner, ttl)

    async def _delete(
        self,
        table: Table,
        key: ColumnElement[object],
        old: ColumnElement[bool],
        age: ColumnElement[object],
        limit: int,
    ) -> int:
        # DELETE ... LIMIT is not portable; a bounded sub-select of keys is.
        oldest = select(key).where(old).order_by(age).limit(limit)
        async with self._engine.begin() as connection:
            result = await connection.execute(delete(table).where(key.in_(oldest)))
        return int(result.rowcount)
