"""What the service is doing, as its database shows it (for `alpes status` and `alpes top`):
commands recorded per outcome lately, the outbox's backlog, how far the projection is
behind the published v2 stream. Each is a query on an index, cheap enough to run every
second."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.topics import EVENTS_V2

from .command_status import STATUSES
from .keys import where_one_of
from .schema import command_log, outbox, projected_events
from .times import utc

# How many of the newest published v2 events the projection lag looks at.
PROJECTION_WINDOW = 1000


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _age(now: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else round(max(0.0, (now - moment).total_seconds()), 3)


@dataclass(frozen=True, slots=True)
class CommandRates:
    """Commands recorded in the last ``window`` seconds, per outcome."""

    window: float
    counts: dict[str, int]

    def per_second(self, status: str) -> float:
        return self.counts.get(status, 0) / self.window

    def to_json(self) -> dict[str, Any]:
        return {
            "window_seconds": self.window,
            "counts": dict(self.counts),
            "per_second": {s: round(self.per_second(s), 3) for s in self.counts},
        }


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """Rows not yet published (one per event and topic), and the oldest one's time."""

    pending: int
    oldest_pending_at: datetime | None
    now: datetime

    @property
    def oldest_age(self) -> float | None:
        return _age(self.now, self.oldest_pending_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "pending": self.pending,
            "oldest_pending_at": _iso(self.oldest_pending_at),
            "oldest_pending_age_seconds": self.oldest_age,
        }


@dataclass(frozen=True, slots=True)
class ProjectionLag:
    """Of the newest published v2 events (``window`` at most), those the read store has
    not recorded yet; the lag is how long ago the oldest of them was published."""

    last_published_at: datetime | None
    behind: int
    window: int
    oldest_unprojected_at: datetime | None
    now: datetime

    @property
    def at_least(self) -> bool:
        """Every event looked at is unprojected: there may be more behind."""
        return self.behind >= self.window

    @property
    def lag(self) -> float:
        return _age(self.now, self.oldest_unprojected_at) or 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "last_published_at": _iso(self.last_published_at),
            "behind": self.behind,
            "behind_at_least": self.at_least,
            "oldest_unprojected_published_at": _iso(self.oldest_unprojected_at),
            "lag_seconds": self.lag,
        }


async def command_rates(
    engine: AsyncEngine, window: float = 60.0, now: datetime | None = None
) -> CommandRates:
    moment = now or datetime.now(UTC)
    query = (
        select(command_log.c.status, func.count())
        .where(command_log.c.processed_at >= moment - timedelta(seconds=window))
        .group_by(command_log.c.status)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    counts = dict.fromkeys(STATUSES, 0) | {str(status): int(n) for status, n in rows}
    return CommandRates(window, counts)


async def outbox_backlog(engine: AsyncEngine, now: datetime | None = None) -> OutboxBacklog:
    pending = outbox.c.published_at.is_(None)
    async with engine.connect() as connection:
        count = (
            await connection.execute(select(func.count()).select_from(outbox).where(pending))
        ).scalar_one()
        oldest = (
            await connection.execute(
                select(outbox.c.created_at).where(pending).order_by(outbox.c.seq).limit(1)
            )
        ).scalar_one_or_none()
    return OutboxBacklog(
        int(count), None if oldest is None else utc(oldest), now or datetime.now(UTC)
    )


async def projection_lag(
    engine: AsyncEngine, window: int = PROJECTION_WINDOW, now: datetime | None = None
) -> ProjectionLag:
    newest = (
        select(outbox.c.event_id, outbox.c.published_at)
        .where(outbox.c.published_at.is_not(None), outbox.c.topic == EVENTS_V2)
        .order_by(outbox.c.published_at.desc())
        .limit(window)
    )
    async with engine.connect() as connection:
        published = (await connection.execute(newest)).all()
        ids = [row.event_id for row in published]
        projected: set[str] = set()
        if ids:
            seen = where_one_of(
                select(projected_events.c.event_id),
                projected_events.c.event_id,
                ids,
                engine.dialect.name,
            )
            projected = set((await connection.execute(seen)).scalars())
    waiting = [utc(row.published_at) for row in published if row.event_id not in projected]
    return ProjectionLag(
        last_published_at=utc(published[0].published_at) if published else None,
        behind=len(waiting),
        window=window,
        oldest_unprojected_at=min(waiting) if waiting else None,
        now=now or datetime.now(UTC),
    )
