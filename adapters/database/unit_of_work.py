"""The Unit of Work: one transaction for the aggregate, its outbox rows and its command record.

Writes are collected and flushed at ``commit()``; leaving the block without committing
rolls everything back. Nothing is published here: the relay publishes committed rows.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain import Campana

from .records import CommandRecord, OutboxMessage
from .schema import campaigns, command_log, outbox
from .snapshot import from_snapshot, to_snapshot


class ConcurrencyError(RuntimeError):
    """Someone else changed the campaign (or created it) since it was read: retry."""


class SqlCampaignRepository:
    def __init__(self, uow: "SqlUnitOfWork") -> None:
        self._uow = uow
        self._loaded: dict[str, int] = {}  # id -> version as read
        self._changed: dict[str, Campana] = {}

    async def get(self, campana_id: str) -> Campana | None:
        if campana_id in self._changed:
            return self._changed[campana_id]
        row = (
            await self._uow.connection.execute(
                select(campaigns.c.snapshot, campaigns.c.version).where(
                    campaigns.c.id == campana_id
                )
            )
        ).first()
        if row is None:
            return None
        self._loaded[campana_id] = row.version
        return from_snapshot(row.snapshot, row.version)

    def add(self, campana: Campana) -> None:
        """Track a new or changed campaign; it is written at commit with version + 1."""
        self._changed[campana.id] = campana

    async def _flush(self, connection: AsyncConnection, now: datetime) -> None:
        for campana in self._changed.values():
            snapshot = to_snapshot(campana)
            read = self._loaded.get(campana.id)
            new_version = (read or 0) + 1
            if read is None:
                await connection.execute(
                    insert(campaigns).values(
                        id=campana.id,
                        version=new_version,
                        estado=snapshot["estado"],
                        snapshot=snapshot,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                result = await connection.execute(
                    update(campaigns)
                    .where(campaigns.c.id == campana.id, campaigns.c.version == read)
                    .values(
                        version=new_version,
                        estado=snapshot["estado"],
                        snapshot=snapshot,
                        updated_at=now,
                    )
                )
                if result.rowcount != 1:
                    raise ConcurrencyError(f"campaign {campana.id!r} changed since version {read}")
            campana.version = new_version


class SqlCommandLog:
    def __init__(self, uow: "SqlUnitOfWork") -> None:
        self._uow = uow
        self._new: list[CommandRecord] = []

    async def get(self, command_id: str) -> CommandRecord | None:
        row = (
            await self._uow.connection.execute(
                select(command_log).where(command_log.c.command_id == command_id)
            )
        ).first()
        return None if row is None else record_from_row(row._mapping)

    async def creation_of(self, campana_id: str) -> CommandRecord | None:
        """The command that created ``campana_id``."""
        row = (
            await self._uow.connection.execute(
                select(command_log).where(
                    command_log.c.campana_id == campana_id,
                    command_log.c.command_type == "crear-campana",
                    command_log.c.status == "applied",
                )
            )
        ).first()
        return None if row is None else record_from_row(row._mapping)

    def add(self, record: CommandRecord) -> None:
        self._new.append(record)

    async def _flush(self, connection: AsyncConnection, now: datetime) -> None:
        if self._new:
            await connection.execute(
                insert(command_log),
                [
                    {
                        "command_id": r.command_id,
                        "command_type": r.command_type,
                        "campana_id": r.campana_id,
                        "fingerprint": r.fingerprint,
                        "status": r.status,
                        "reason": r.reason,
                        "field": r.field,
                        "message": r.message,
                        "event_ids": list(r.event_ids),
                        "correlation_id": r.correlation_id,
                        "processed_at": now,
                    }
                    for r in self._new
                ],
            )


class SqlOutbox:
    def __init__(self) -> None:
        self._new: list[OutboxMessage] = []

    def add(self, messages: Sequence[OutboxMessage]) -> None:
        self._new.extend(messages)

    async def _flush(self, connection: AsyncConnection, now: datetime) -> None:
        if self._new:
            await connection.execute(
                insert(outbox),
                [
                    {
                        "event_id": m.event_id,
                        "topic": m.topic,
                        "key": m.key,
                        "payload": m.payload,
                        "properties": m.properties,
                        "created_at": now,
                    }
                    for m in self._new
                ],
            )


def record_from_row(row: Any) -> CommandRecord:
    return CommandRecord(
        command_id=row["command_id"],
        command_type=row["command_type"],
        campana_id=row["campana_id"],
        fingerprint=row["fingerprint"],
        status=row["status"],
        event_ids=tuple(row["event_ids"]),
        reason=row["reason"],
        field=row["field"],
        message=row["message"],
        correlation_id=row["correlation_id"],
    )


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self.committed = False

    @property
    def connection(self) -> AsyncConnection:
        if self._connection is None:
            msg = "The unit of work is not open: use `async with uow:`."
            raise RuntimeError(msg)
        return self._connection

    async def __aenter__(self) -> Self:
        self._connection = await self._engine.connect()
        await self._connection.begin()
        self.campaigns = SqlCampaignRepository(self)
        self.commands = SqlCommandLog(self)
        self.outbox = SqlOutbox()
        self.committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self.connection, None
        try:
            if not self.committed:
                await connection.rollback()
        finally:
            await connection.close()

    async def commit(self) -> None:
        now = datetime.now(UTC)
        try:
            await self.campaigns._flush(self.connection, now)
            await self.outbox._flush(self.connection, now)
            await self.commands._flush(self.connection, now)
            await self.connection.commit()
        except IntegrityError as e:
            # A concurrent create of the same campaign or command id won the race.
            raise ConcurrencyError(str(e.orig)) from e
        except OperationalError as e:
            # SQLite: another writer got in first ("database is locked"); try again.
            if "locked" not in str(e.orig) and "busy" not in str(e.orig):
                raise
            raise ConcurrencyError(str(e.orig)) from e
        self.committed = True
