"""What the relay needs from the outbox: pending rows in order, marking them published,
and a lease so that only one relay publishes at a time (order per campaign)
(``application.ports.OutboxStore``)."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from application.records import OutboxMessage, PendingMessage

from .keys import where_one_of
from .schema import outbox, relay_lease


async def fetch_pending(engine: AsyncEngine, limit: int) -> list[PendingMessage]:
    query = (
        select(outbox).where(outbox.c.published_at.is_(None)).order_by(outbox.c.seq).limit(limit)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [
        PendingMessage(
            seq=row["seq"],
            message=OutboxMessage(
                event_id=row["event_id"],
                topic=row["topic"],
                key=row["key"],
                payload=row["payload"],
                properties=row["properties"],
            ),
        )
        for row in rows
    ]


async def mark_published(engine: AsyncEngine, seqs: list[int]) -> None:
    if not seqs:
        return
    marked = update(outbox).values(published_at=datetime.now(UTC))
    async with engine.begin() as connection:
        await connection.execute(where_one_of(marked, outbox.c.seq, seqs, engine.dialect.name))


async def hold_lease(engine: AsyncEngine, name: str, owner: str, ttl: float) -> bool:
    """Take or renew the lease ``name``; False while another owner holds it unexpired."""
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=ttl)
    async with engine.begin() as connection:
        taken = await connection.execute(
            update(relay_lease)
            .where(
                relay_lease.c.name == name,
                or_(relay_lease.c.owner == owner, relay_lease.c.expires_at < now),
            )
            .values(owner=owner, expires_at=expires)
        )
    if taken.rowcount == 1:
        return True
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(relay_lease).values(name=name, owner=owner, expires_at=expires)
            )
    except IntegrityError:
        return False  # held by someone else
    return True


class SqlOutboxStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def fetch_pending(self, limit: int) -> list[PendingMessage]:
        return await fetch_pending(self._engine, limit)

    async def mark_published(self, seqs: Sequence[int]) -> None:
        await mark_published(self._engine, list(seqs))

    async def hold_lease(self, name: str, owner: str, ttl: float) -> bool:
        return await hold_lease(self._engine, name, owner, ttl)
