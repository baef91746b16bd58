"""Projecting many events in one transaction (the projector's group commit).

The same rules as ``read_store.apply_event`` (``application.projection.apply``), applied
in memory over the rows the batch needs (loaded in two queries), then written with a few
statements. Within a batch an
event whose predecessor comes later in the same batch is applied once it has; one whose
predecessor is not in the batch gets ``OutOfOrder``, as alone. A conflict with another
projector (a row moved on since it was read) raises ``BatchConflict``: the caller then
applies the events one by one.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from application.errors import BatchConflict
from application.projection import (
    ApplyResult,
    IncomingEvent,
    InvalidEvent,
    OutOfOrder,
    Parsed,
    Row,
    apply,
    parse,
)

from .schema import campaign_view, projected_events


async def apply_events(
    engine: AsyncEngine, events: Sequence[IncomingEvent]
) -> list[ApplyResult | Exception]:
    """One result per event, in order: an ApplyResult, or the exception for that event
    (InvalidEvent, OutOfOrder). Raises BatchConflict when the batch could not be written."""
    now = datetime.now(UTC)
    results: list[ApplyResult | Exception | None] = [None] * len(events)
    parsed: dict[int, Parsed] = {}
    for index, event in enumerate(events):
        try:
            parsed[index] = parse(event)
        except InvalidEvent as invalid:
            results[index] = invalid
    ids = [c for item in parsed.values() if (c := getattr(item.event, "campana_id", None))]
    try:
        async with engine.begin() as connection:
            seen = set(
                (
                    await connection.execute(
                        select(projected_events.c.event_id).where(
                            projected_events.c.event_id.in_([e.event_id for e in events])
                        )
                    )
                ).scalars()
            )
            rows = {
                row["id"]: dict(row)
                for row in (
                    await connection.execute(
                        select(campaign_view).where(campaign_view.c.id.in_(ids))
                    )
                ).mappings()
            }
            read_versions = {campaign: row["version"] for campaign, row in rows.items()}
            recorded: list[str] = []
            pending = sorted(parsed)
            progress = True
            while pending and progress:  # a later event of the batch may fill a gap
                progress, waiting = False, []
                for index in pending:
                    outcome = _apply(events[index], parsed[index], rows, seen, now)
                    if isinstance(outcome, OutOfOrder):
                        waiting.append(index)
                        results[index] = outcome
                        continue
                    progress = True
                    results[index] = outcome
                    if outcome is not ApplyResult.DUPLICATE:
                        seen.add(events[index].event_id)
                        recorded.append(events[index].event_id)
                pending = waiting
            await _write(connection, rows, read_versions, recorded, now)
    except IntegrityError as conflict:
        raise BatchConflict(str(conflict.orig)) from conflict
    return [r if r is not None else ApplyResult.DUPLICATE for r in results]


def _apply(
    incoming: IncomingEvent,
    parsed: Parsed,
    rows: dict[str, Row],
    seen: set[str],
    now: datetime,
) -> ApplyResult | OutOfOrder:
    if incoming.event_id in seen:
        return ApplyResult.DUPLICATE
    campana_id = getattr(parsed.event, "campana_id", None)
    row = None if campana_id is None else rows.get(campana_id)
    result, changed = apply(incoming, parsed, row, now)
    if changed is not None:
        rows[changed["id"]] = changed
    return result


async def _write(
    connection: Any,
    rows: dict[str, Row],
    read_versions: dict[str, int],
    recorded: list[str],
    now: datetime,
) -> None:
    new = [row for campaign, row in rows.items() if campaign not in read_versions]
    if new:
        await connection.execute(insert(campaign_view), new)
    for campaign, row in rows.items():
        read = read_versions.get(campaign)
        if read is None or row["version"] == read:
            continue
        changed = await connection.execute(
            update(campaign_view)
            .where(campaign_view.c.id == campaign, campaign_view.c.version == read)
            .values({k: v for k, v in row.items() if k != "id"})
        )
        if changed.rowcount != 1:
            raise BatchConflict(f"campaign {campaign!r} moved on from version {read}")
    if recorded:
        await connection.execute(
            insert(projected_events),
            [{"event_id": event_id, "projected_at": now} for event_id in recorded],
        )
