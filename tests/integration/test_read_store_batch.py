"""Projecting a batch of events (v2 bodies) in one transaction gives what applying them one
by one gives, on SQLite and PostgreSQL."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.read_store import get_campaign
from adapters.database.read_store_batch import apply_events
from application.projection import ApplyResult, IncomingEvent, InvalidEvent, OutOfOrder
from tests.support.events import Event, creada, lifecycle, rechazado


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def incoming(event: Event) -> IncomingEvent:
    return IncomingEvent(event.type, event.id, event.version, event.body)


async def test_a_whole_life_out_of_order_in_one_batch_ends_like_in_order(
    engine: AsyncEngine,
) -> None:
    events = lifecycle("c-batch")
    shuffled = [events[i] for i in (3, 0, 7, 1, 2, 6, 5, 4)]
    results = await apply_events(engine, [incoming(e) for e in shuffled])
    assert results == [ApplyResult.APPLIED] * 8
    view = await get_campaign(engine, "c-batch")
    assert view is not None
    assert (view.estado, view.version, str(view.monto)) == ("finished", 8, "18000.05")
    assert [p["id"] for p in view.participantes] == ["p-2", "p-3"]


async def test_duplicates_stale_invalid_and_gaps_get_their_own_result(
    engine: AsyncEngine,
) -> None:
    first = lifecycle("c-mix")
    await apply_events(engine, [incoming(first[0]), incoming(first[1])])
    broken = IncomingEvent("campana-activada", "bad-1", 2, {"nope": 1})
    results = await apply_events(
        engine,
        [
            incoming(first[1]),  # seen before
            incoming(first[1]),
            incoming(first[3]),  # its predecessor (version 3) is not here
            broken,
            incoming(rechazado("x", "c-mix")),
            incoming(creada("c-other")),
        ],
    )
    assert results[0] == ApplyResult.DUPLICATE
    assert results[1] == ApplyResult.DUPLICATE
    assert isinstance(results[2], OutOfOrder)
    assert isinstance(results[3], InvalidEvent)
    assert results[4] == ApplyResult.IGNORED
    assert results[5] == ApplyResult.APPLIED
    view = await get_campaign(engine, "c-mix")
    assert view is not None and view.version == 2
    # The gap is remembered nowhere: once its predecessor comes, it applies.
    again = await apply_events(engine, [incoming(first[3]), incoming(first[2])])
    assert again == [ApplyResult.APPLIED, ApplyResult.APPLIED]


async def test_an_amount_the_view_cannot_keep_fails_only_its_own_event_in_a_batch(
    engine: AsyncEngine,
) -> None:
    """As alone (test_read_store): a monto that is not a decimal string is InvalidEvent for
    that event; the other events of the batch are applied."""
    created, activated, _, _, adjusted, *_ = lifecycle("c-amount")
    bad_create = creada("c-bad-create", monto="NaN")
    bad_adjust = IncomingEvent(
        adjusted.type,
        "bad-adjust",
        3,
        adjusted.body | {"nuevo": {"monto": "18.000,05", "divisa": "USD"}},
    )

    results = await apply_events(
        engine,
        [
            incoming(created),
            incoming(bad_create),
            incoming(activated),
            bad_adjust,
            incoming(creada("c-good")),
        ],
    )

    assert results[0] == ApplyResult.APPLIED
    assert isinstance(results[1], InvalidEvent)
    assert results[2] == ApplyResult.APPLIED
    assert isinstance(results[3], InvalidEvent)
    assert results[4] == ApplyResult.APPLIED
    view = await get_campaign(engine, "c-amount")
    assert view is not None
    assert (view.version, str(view.monto)) == (2, "15000.10")
    assert await get_campaign(engine, "c-good") is not None
    assert await get_campaign(engine, "c-bad-create") is None
