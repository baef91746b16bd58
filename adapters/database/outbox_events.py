"""The events a command caused, as the outbox holds them (for `alpes trace`).

The outbox keeps an event once per contract version (the v2 stream and a v1 topic) with
the same ``event_id``; here each event is one ``StoredEvent`` with its deliveries, one per
topic, published or pending. Published rows are deleted by age (retention): an event id
the command log names but the outbox no longer holds is simply not returned.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts import properties as p

from .keys import where_one_of
from .schema import outbox
from .times import utc


@dataclass(frozen=True, slots=True)
class Delivery:
    """One copy of an event: its topic, and when the relay published it (None: pending)."""

    topic: str
    published_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        published = None if self.published_at is None else self.published_at.isoformat()
        return {"topic": self.topic, "published_at": published}


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event_id: str
    event_type: str | None
    aggregate_version: int | None
    seq: int  # the first copy's place in the outbox: commit order
    deliveries: tuple[Delivery, ...]  # v2 first, then v1

    @property
    def pending(self) -> bool:
        return any(d.published_at is None for d in self.deliveries)

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "aggregate_version": self.aggregate_version,
            "deliveries": [d.to_json() for d in self.deliveries],
        }


async def stored_events(engine: AsyncEngine, event_ids: Sequence[str]) -> dict[str, StoredEvent]:
    """The outbox's events with these ids, each once, by id."""
    if not event_ids:
        return {}
    query = select(
        outbox.c.seq,
        outbox.c.event_id,
        outbox.c.topic,
        outbox.c.properties,
        outbox.c.published_at,
    ).order_by(outbox.c.seq)
    query = where_one_of(
        query, outbox.c.event_id, list(dict.fromkeys(event_ids)), engine.dialect.name
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    copies: dict[str, list[Any]] = {}
    for row in rows:
        copies.setdefault(row["event_id"], []).append(row)
    return {event_id: _event(event_id, rows) for event_id, rows in copies.items()}


def _event(event_id: str, rows: list[Any]) -> StoredEvent:
    # The newest contract version first: v2's stream, then the deprecated v1 topic.
    ordered = sorted(
        rows, key=lambda r: (-(_int(r["properties"].get(p.SCHEMA_VERSION)) or 0), r["seq"])
    )
    first = ordered[0]["properties"]
    return StoredEvent(
        event_id=event_id,
        event_type=first.get(p.EVENT_TYPE),
        aggregate_version=_int(first.get(p.AGGREGATE_VERSION)),
        seq=min(r["seq"] for r in rows),
        deliveries=tuple(
            Delivery(r["topic"], None if r["published_at"] is None else utc(r["published_at"]))
            for r in ordered
        ),
    )


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
