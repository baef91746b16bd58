"""The outbox relay on real databases: rounds in order per campaign, failures contained."""

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.outbox_store import SqlOutboxStore
from adapters.database.schema import outbox
from adapters.database.writes import insert_outbox
from application.records import OutboxMessage
from application.relay import OutboxRelay


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


class ScriptedPublisher:
    """Records each call (one round); fails the events named in ``failing``."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.failing = failing or set()

    async def publish_events(self, messages: Sequence[OutboxMessage]) -> list[BaseException | None]:
        self.calls.append([m.event_id for m in messages])
        return [
            ConnectionError(f"{m.event_id} not stored") if m.event_id in self.failing else None
            for m in messages
        ]


def event(campaign: str, n: int) -> OutboxMessage:
    return OutboxMessage(f"{campaign}-{n}", f"topic-{n}", campaign, b"{}", {"n": str(n)})


async def stored(engine: AsyncEngine, *events: OutboxMessage) -> None:
    async with engine.begin() as connection:
        await insert_outbox(connection, events, datetime.now(UTC))


async def published(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as c:
        query = select(outbox.c.event_id).where(outbox.c.published_at.is_not(None))
        return set((await c.execute(query)).scalars())


async def test_each_campaigns_events_go_out_in_rounds_in_commit_order(
    engine: AsyncEngine,
) -> None:
    await stored(engine, event("a", 1), event("b", 1), event("a", 2), event("c", 1))
    await stored(engine, event("a", 3), event("b", 2))
    publisher = ScriptedPublisher()

    assert await OutboxRelay(SqlOutboxStore(engine), publisher).relay_once() == 6

    # A campaign's next event is sent only after its previous one was confirmed.
    assert publisher.calls == [["a-1", "b-1", "c-1"], ["a-2", "b-2"], ["a-3"]]
    assert await published(engine) == {"a-1", "a-2", "a-3", "b-1", "b-2", "c-1"}


async def test_a_failed_send_holds_back_that_campaign_only_and_the_rest_is_marked(
    engine: AsyncEngine,
) -> None:
    await stored(engine, event("a", 1), event("b", 1), event("a", 2), event("b", 2))
    await stored(engine, event("a", 3))
    publisher = ScriptedPublisher(failing={"a-2"})
    relay = OutboxRelay(SqlOutboxStore(engine), publisher)

    with pytest.raises(ConnectionError, match="a-2 not stored"):
        await relay.relay_once()

    # a-3 was never tried: it must not overtake a-2.
    assert publisher.calls == [["a-1", "b-1"], ["a-2", "b-2"]]
    assert await published(engine) == {"a-1", "b-1", "b-2"}

    publisher.failing.clear()
    assert await relay.relay_once() == 2
    assert publisher.calls[2:] == [["a-2"], ["a-3"]]
    assert await published(engine) == {"a-1", "a-2", "a-3", "b-1", "b-2"}
