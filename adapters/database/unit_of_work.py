"""The Unit of Work: one transaction for the aggregate, its outbox rows and its command record.

Writes are collected and flushed at ``commit()``; leaving the block without committing
rolls everything back. Nothing is published here: the relay publishes committed rows.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.records import CommandRecord, OutboxMessage
from contracts.topics import CREAR_CAMPANA
from domain import Campana

from .schema import campaigns, command_log
from .snapshot import from_snapshot
from .writes import (
    conflicts_as_concurrency,
    insert_campaigns,
    insert_command_records,
    insert_outbox,
    update_campaign,
)


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
        new = [c for c in self._changed.values() if c.id not in self._loaded]
        for campana in self._changed.values():
            campana.version = self._loaded.get(campana.id, 0) + 1
        await insert_campaigns(connection, new, now)
        for campana in self._changed.values():
            if campana.id in self._loaded:
                await update_campaign(connection, campana, self._loaded[campana.id], now)


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
                    command_log.c.command_type == CREAR_CAMPANA,
                    command_log.c.status == "applied",
                )
            )
        ).first()
        return None if row is None else record_from_row(row._mapping)

    def add(self, record: CommandRecord) -> None:
        self._new.append(record)

    async def _flush(self, connection: AsyncConnection, now: datetime) -> None:
        await insert_command_records(connection, self._new, now)


class SqlOutbox:
    def __init__(self) -> None:
        self._new: list[OutboxMessage] = []

    def add(self, messages: Sequence[OutboxMessage]) -> None:
        self._new.extend(messages)

    async def _flush(self, connection: AsyncConnection, now: datetime) -> None:
        await insert_outbox(connection, self._new, now)


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
        with conflicts_as_concurrency():
            await self.campaigns._flush(self.connection, now)
            await self.outbox._flush(self.connection, now)
            await self.commands._flush(self.connection, now)
            await self.connection.commit()
        self.committed = True
