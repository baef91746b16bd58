"""The read store: the campaign view in SQL, fed only by integration events.

What an event does to the view is the projection's rule (``application.projection``);
here each event is applied in one transaction that also records its ``event_id``, so a
redelivered event changes nothing. Every write is conditional (primary keys,
``UPDATE ... WHERE version = :expected``), so concurrent appliers of the same campaign
cannot both win; the loser re-reads and decides again.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.projection import (
    ApplyResult,
    CampaignView,
    IncomingEvent,
    OutOfOrder,
    Parsed,
    ProjectionConflict,
    apply,
    parse,
    view_of,
)

from .schema import campaign_view, projected_events

# Conflicts come only from a concurrent applier making progress; a few re-reads settle it.
_MAX_ATTEMPTS = 5


async def apply_event(
    engine: AsyncEngine,
    event_type: str,
    event_id: str,
    aggregate_version: int | None,
    body: dict[str, Any],
) -> ApplyResult:
    """Apply one integration event to the campaign view.

    Raises ``OutOfOrder`` (retry later), ``InvalidEvent`` (never retry) or
    ``ProjectionConflict`` (retry later)."""
    incoming = IncomingEvent(event_type, event_id, aggregate_version, body)
    parsed = parse(incoming)
    for _ in range(_MAX_ATTEMPTS):
        try:
            return await _apply_once(engine, incoming, parsed)
        except (_Conflict, IntegrityError):
            continue
    msg = f"{event_type} {event_id}: the campaign kept changing during {_MAX_ATTEMPTS} attempts"
    raise ProjectionConflict(msg)


async def get_campaign(engine: AsyncEngine, campana_id: str) -> CampaignView | None:
    async with engine.connect() as connection:
        row = await _row(connection, campana_id)
    return None if row is None else view_of(row)


async def list_campaigns(
    engine: AsyncEngine,
    *,
    marca_id: str | None = None,
    estado: str | None = None,
    tipo: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[CampaignView]:
    """Campaigns matching every filter given, ordered by id."""
    if limit < 0 or offset < 0:
        msg = f"limit and offset must be >= 0, got limit={limit}, offset={offset}"
        raise ValueError(msg)
    query = select(campaign_view).order_by(campaign_view.c.id).limit(limit).offset(offset)
    if marca_id is not None:
        query = query.where(campaign_view.c.marca_id == marca_id)
    if estado is not None:
        query = query.where(campaign_view.c.estado == estado)
    if tipo is not None:
        query = query.where(campaign_view.c.tipo == tipo)
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [view_of(row) for row in rows]


async def reset(engine: AsyncEngine) -> None:
    """Empty the read store (before a rebuild)."""
    async with engine.begin() as connection:
        await connection.execute(delete(campaign_view))
        await connection.execute(delete(projected_events))


class _Conflict(Exception):
    """A conditional write matched nothing: someone else moved the campaign on."""


async def _apply_once(engine: AsyncEngine, incoming: IncomingEvent, parsed: Parsed) -> ApplyResult:
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        seen = await connection.execute(
            select(projected_events.c.event_id).where(
                projected_events.c.event_id == incoming.event_id
            )
        )
        if seen.first() is not None:
            return ApplyResult.DUPLICATE
        campana_id = getattr(parsed.event, "campana_id", None)
        row = None if campana_id is None else await _row(connection, campana_id)
        current = None if row is None else dict(row)
        result, changed = apply(incoming, parsed, current, now)
        if isinstance(result, OutOfOrder):
            raise result
        if changed is not None and current is None:
            await connection.execute(insert(campaign_view).values(**changed))
        elif changed is not None and current is not None:
            written = await connection.execute(
                update(campaign_view)
                .where(
                    campaign_view.c.id == changed["id"],
                    campaign_view.c.version == current["version"],
                )
                .values({k: v for k, v in changed.items() if k != "id"})
            )
            if written.rowcount != 1:
                raise _Conflict
        await _record(connection, incoming.event_id, now)
        return result


async def _row(connection: AsyncConnection, campana_id: str) -> RowMapping | None:
    query = select(campaign_view).where(campaign_view.c.id == campana_id)
    return (await connection.execute(query)).mappings().first()


async def _record(connection: AsyncConnection, event_id: str, now: datetime) -> None:
    await connection.execute(insert(projected_events).values(event_id=event_id, projected_at=now))
