"""Reading commands' outcomes from the command log: one by id (`alpes command status`,
--wait), or many by status, time, correlation id and campaign (`alpes command list`,
`alpes trace`)."""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.records import CommandRecord

from .schema import command_log
from .times import utc
from .unit_of_work import record_from_row

STATUSES = ("applied", "rejected")


@dataclass(frozen=True, slots=True)
class LoggedCommand:
    """A command's outcome and when it was recorded."""

    record: CommandRecord
    processed_at: datetime

    def to_json(self) -> dict[str, Any]:
        data = asdict(self.record)
        data.pop("fingerprint")
        data["event_ids"] = list(self.record.event_ids)
        return data | {"processed_at": self.processed_at.isoformat()}


async def command_status(engine: AsyncEngine, command_id: str) -> CommandRecord | None:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(command_log).where(command_log.c.command_id == command_id)
            )
        ).first()
    return None if row is None else record_from_row(row._mapping)


async def find_commands(
    engine: AsyncEngine,
    *,
    status: str | None = None,
    since: datetime | None = None,
    correlation_id: str | None = None,
    campana_id: str | None = None,
    limit: int = 50,
    oldest_first: bool = False,
) -> list[LoggedCommand]:
    """The commands matching every filter given, newest first (or oldest first)."""
    if status is not None and status not in STATUSES:
        msg = f"unknown status {status!r}; expected one of: {', '.join(STATUSES)}"
        raise ValueError(msg)
    if limit < 1:
        msg = f"limit must be at least 1, got {limit}"
        raise ValueError(msg)
    query = select(command_log)
    if status is not None:
        query = query.where(command_log.c.status == status)
    if since is not None:
        query = query.where(command_log.c.processed_at >= since)
    if correlation_id is not None:
        query = query.where(command_log.c.correlation_id == correlation_id)
    if campana_id is not None:
        query = query.where(command_log.c.campana_id == campana_id)
    if oldest_first:
        query = query.order_by(command_log.c.processed_at, command_log.c.command_id)
    else:
        query = query.order_by(command_log.c.processed_at.desc(), command_log.c.command_id.desc())
    async with engine.connect() as connection:
        rows = (await connection.execute(query.limit(limit))).mappings().all()
    return [LoggedCommand(record_from_row(row), utc(row["processed_at"])) for row in rows]
