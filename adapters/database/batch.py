"""Reads and writes of many commands in one transaction: the micro-batched Unit of Work.

The batch processor loads everything its commands need in three queries, applies the
commands in memory, then writes all changes with a few bulk statements. An update
checks the version it read; a conflict (another process changed the campaign, or
created the same one) raises ConcurrencyError and the caller falls back to one
transaction per command.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain import Campana

from .records import CommandRecord, OutboxMessage
from .schema import campaigns, command_log, outbox
from .snapshot import from_snapshot, to_snapshot
from .unit_of_work import ConcurrencyError, record_from_row


@dataclass(frozen=True)
class Loaded:
    commands: dict[str, CommandRecord]
    campaigns: dict[str, Campana]  # each with the version read
    creations: dict[str, CommandRecord]  # campaign id -> the command that created it


async def load(
    connection: AsyncConnection, command_ids: Iterable[str], campaign_ids: Iterable[str]
) -> Loaded:
    command_ids, campaign_ids = list(set(command_ids)), list(set(campaign_ids))
    rows = await connection.execute(
        select(command_log).where(command_log.c.command_id.in_(command_ids))
    )
    commands = {r.command_id: record_from_row(r._mapping) for r in rows}
    rows = await connection.execute(
        select(campaigns.c.snapshot, campaigns.c.version).where(campaigns.c.id.in_(campaign_ids))
    )
    loaded = {r.snapshot["id"]: from_snapshot(r.snapshot, r.version) for r in rows}
    creations: dict[str, CommandRecord] = {}
    if loaded:
        rows = await connection.execute(
            select(command_log).where(
                command_log.c.campana_id.in_(list(loaded)),
                command_log.c.command_type == "crear-campana",
                command_log.c.status == "applied",
            )
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
    try:
        new = [c for c, read in changed if read is None]
        if new:
            await connection.execute(
                insert(campaigns),
                [_campaign_row(c, now) | {"created_at": now} for c in new],
            )
        for campana, read in changed:
            if read is None:
                continue
            result = await connection.execute(
                update(campaigns)
                .where(campaigns.c.id == campana.id, campaigns.c.version == read)
                .values(_campaign_row(campana, now))
            )
            if result.rowcount != 1:
                raise ConcurrencyError(f"campaign {campana.id!r} changed since version {read}")
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
    except IntegrityError as e:
        raise ConcurrencyError(str(e.orig)) from e
    except OperationalError as e:
        if "locked" not in str(e.orig) and "busy" not in str(e.orig):
            raise
        raise ConcurrencyError(str(e.orig)) from e


def _campaign_row(campana: Campana, now: datetime) -> dict[str, object]:
    snapshot = to_snapshot(campana)
    return {
        "id": campana.id,
        "version": campana.version,
        "estado": snapshot["estado"],
        "snapshot": snapshot,
        "updated_at": now,
    }
