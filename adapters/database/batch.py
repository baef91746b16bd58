"""The command store in SQL: a transaction per batch of commands, a Unit of Work per
command (``application.ports.CommandStore``).

A batch loads everything its commands need in three queries; the commands are applied
in memory; then all changes are written with a few bulk statements. An update checks
the version it read; a conflict (another process changed the campaign, or created the
same one) raises ConcurrencyError and the batch processor falls back to one transaction
per command.
"""

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.records import CommandRecord, Loaded, OutboxMessage
from contracts.topics import CREAR_CAMPANA
from domain import Campana

from .errors import is_transient
from .keys import where_one_of
from .schema import campaigns, command_log
from .snapshot import from_snapshot
from .unit_of_work import SqlUnitOfWork, record_from_row
from .writes import (
    conflicts_as_concurrency,
    insert_campaigns,
    insert_command_records,
    insert_outbox,
    update_campaign,
)


class SqlCommandStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator["SqlBatchTransaction"]:
        async with self._engine.begin() as connection:
            yield SqlBatchTransaction(connection)

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine)

    def is_transient(self, error: BaseException) -> bool:
        return is_transient(error)


class SqlBatchTransaction:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def load(self, command_ids: Sequence[str], campaign_ids: Sequence[str]) -> Loaded:
        return await load(self._connection, command_ids, campaign_ids)

    async def write(
        self,
        changed: Sequence[tuple[Campana, int | None]],
        messages: Sequence[OutboxMessage],
        records: Sequence[CommandRecord],
    ) -> None:
        await write(self._connection, changed, messages, records)


async def load(
    connection: AsyncConnection, command_ids: Iterable[str], campaign_ids: Iterable[str]
) -> Loaded:
    command_ids, campaign_ids = list(set(command_ids)), list(set(campaign_ids))
    dialect = connection.dialect.name
    rows = await connection.execute(
        where_one_of(select(command_log), command_log.c.command_id, command_ids, dialect)
    )
    commands = {r.command_id: record_from_row(r._mapping) for r in rows}
    rows = await connection.execute(
        where_one_of(
            select(campaigns.c.snapshot, campaigns.c.version),
            campaigns.c.id,
            campaign_ids,
            dialect,
        )
    )
    loaded = {r.snapshot["id"]: from_snapshot(r.snapshot, r.version) for r in rows}
    creations: dict[str, CommandRecord] = {}
    if loaded:
        created = select(command_log).where(
            command_log.c.command_type == CREAR_CAMPANA, command_log.c.status == "applied"
        )
        rows = await connection.execute(
            where_one_of(created, command_log.c.campana_id, list(loaded), dialect)
        )
        creations = {r.campana_id: record_from_row(r._mapping) for r in rows}
    return Loaded(commands, loaded, creations)


async def write(
    connection: AsyncConnection,
    changed: Sequence[tuple[Campana, int | None]],
    messages: Sequence[OutboxMessage],
    records: Sequence[CommandRecord],
) -> None:
    """``changed``: each campaign with the version it had when read (None: new)."""
    now = datetime.now(UTC)
    with conflicts_as_concurrency():
        await insert_campaigns(connection, [c for c, read in changed if read is None], now)
        for campana, read in changed:
            if read is not None:
                await update_campaign(connection, campana, read, now)
        await insert_outbox(connection, messages, now)
        await insert_command_records(connection, records, now)
