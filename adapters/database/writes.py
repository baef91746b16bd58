"""The write statements both Units of Work (one command, a batch) issue, and how their
conflicts surface: as ConcurrencyError, which means "read again and retry"."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from application.records import CommandRecord, OutboxMessage
from domain import Campana

from .errors import ConcurrencyError
from .schema import campaigns, command_log, outbox
from .snapshot import to_snapshot


@contextmanager
def conflicts_as_concurrency() -> Iterator[None]:
    try:
        yield
    except IntegrityError as e:
        # A concurrent create of the same campaign or command id won the race.
        raise ConcurrencyError(str(e.orig)) from e
    except OperationalError as e:
        # SQLite: another writer got in first ("database is locked"); try again.
        if "locked" not in str(e.orig) and "busy" not in str(e.orig):
            raise
        raise ConcurrencyError(str(e.orig)) from e


def campaign_row(campana: Campana, now: datetime) -> dict[str, object]:
    snapshot = to_snapshot(campana)
    return {
        "id": campana.id,
        "version": campana.version,
        "estado": snapshot["estado"],
        "snapshot": snapshot,
        "updated_at": now,
    }


async def insert_campaigns(
    connection: AsyncConnection, new: Sequence[Campana], now: datetime
) -> None:
    if new:
        rows = [campaign_row(c, now) | {"created_at": now} for c in new]
        await connection.execute(insert(campaigns), rows)


async def update_campaign(
    connection: AsyncConnection, campana: Campana, read_version: int, now: datetime
) -> None:
    """Write ``campana`` if its row is still at ``read_version``; else ConcurrencyError."""
    result = await connection.execute(
        update(campaigns)
        .where(campaigns.c.id == campana.id, campaigns.c.version == read_version)
        .values(campaign_row(campana, now))
    )
    if result.rowcount != 1:
        raise ConcurrencyError(f"campaign {campana.id!r} changed since version {read_version}")


async def insert_outbox(
    connection: AsyncConnection, messages: Sequence[OutboxMessage], now: datetime
) -> None:
    if messages:
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
                for m in messages
            ],
        )


async def insert_command_records(
    connection: AsyncConnection, records: Sequence[CommandRecord], now: datetime
) -> None:
    if records:
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
                for r in records
            ],
        )
