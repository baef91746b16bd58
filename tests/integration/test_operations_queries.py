"""What operators read from the database (`alpes trace`, `alpes command list`, `alpes
status`): commands by filter, a command's events once each with their topics, the rates,
the outbox's backlog and the projection's lag, on a real SQLite file and PostgreSQL."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.activity import command_rates, outbox_backlog, projection_lag
from adapters.database.command_status import find_commands
from adapters.database.engine import create_engine
from adapters.database.outbox_events import stored_events
from adapters.database.schema import command_log, outbox, projected_events
from contracts.topics import EVENT_TOPICS, EVENTS_V2

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def command(
    command_id: str,
    *,
    ago: float,
    status: str = "applied",
    correlation_id: str | None = None,
    campana_id: str | None = "c-1",
    event_ids: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "command_id": command_id,
        "command_type": "activar-campana",
        "campana_id": campana_id,
        "fingerprint": "f",
        "status": status,
        "reason": "UNKNOWN_CAMPAIGN" if status == "rejected" else None,
        "field": None,
        "message": None,
        "event_ids": list(event_ids),
        "correlation_id": correlation_id,
        "processed_at": NOW - timedelta(seconds=ago),
    }


def outbox_row(
    event_id: str,
    *,
    version: int,
    event_type: str = "campana-activada",
    aggregate_version: int | None = 2,
    created_ago: float = 60,
    published_ago: float | None = None,
) -> dict[str, Any]:
    properties = {"event_id": event_id, "event_type": event_type, "schema_version": str(version)}
    if aggregate_version is not None:
        properties["aggregate_version"] = str(aggregate_version)
    topic = EVENTS_V2 if version == 2 else EVENT_TOPICS[event_type]
    published = None if published_ago is None else NOW - timedelta(seconds=published_ago)
    return {
        "event_id": event_id,
        "topic": topic,
        "key": "c-1",
        "payload": b"{}",
        "properties": properties,
        "created_at": NOW - timedelta(seconds=created_ago),
        "published_at": published,
    }


async def add(engine: AsyncEngine, table: Any, rows: list[dict[str, Any]]) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(table), rows)


async def test_commands_are_found_by_every_filter_combined_newest_first(
    engine: AsyncEngine,
) -> None:
    await add(
        engine,
        command_log,
        [
            command("a-old", ago=7200, correlation_id="X"),
            command("a-new", ago=10, correlation_id="X"),
            command("r-mid", ago=600, status="rejected", correlation_id="X", campana_id="c-2"),
            command("r-other", ago=5, status="rejected", correlation_id="Y"),
            command("a-none", ago=1, campana_id=None),
        ],
    )

    async def ids(**filters: Any) -> list[str]:
        return [c.record.command_id for c in await find_commands(engine, **filters)]

    assert await ids() == ["a-none", "r-other", "a-new", "r-mid", "a-old"]
    assert await ids(correlation_id="X") == ["a-new", "r-mid", "a-old"]
    assert await ids(correlation_id="X", oldest_first=True) == ["a-old", "r-mid", "a-new"]
    assert await ids(correlation_id="X", status="rejected") == ["r-mid"]
    assert await ids(status="rejected") == ["r-other", "r-mid"]
    assert await ids(since=NOW - timedelta(minutes=15)) == ["a-none", "r-other", "a-new", "r-mid"]
    assert await ids(since=NOW - timedelta(minutes=15), campana_id="c-1") == ["r-other", "a-new"]
    assert await ids(correlation_id="X", campana_id="c-2", status="applied") == []
    assert await ids(limit=2) == ["a-none", "r-other"]

    [found] = await find_commands(engine, correlation_id="Y")
    assert found.processed_at == NOW - timedelta(seconds=5)
    assert found.to_json()["processed_at"] == found.processed_at.isoformat()
    assert "fingerprint" not in found.to_json()
    with pytest.raises(ValueError, match="unknown status 'done'"):
        await find_commands(engine, status="done")


async def test_each_event_is_shown_once_with_the_topics_it_went_to(engine: AsyncEngine) -> None:
    await add(
        engine,
        outbox,
        [
            outbox_row("e-1", version=2, published_ago=30),
            outbox_row("e-1", version=1),  # its v1 copy, not published yet
            outbox_row("e-2", version=2, event_type="comando-rechazado", aggregate_version=None),
            outbox_row("e-3", version=2, published_ago=1),
        ],
    )

    found = await stored_events(engine, ["e-1", "e-2", "e-gone"])

    assert set(found) == {"e-1", "e-2"}  # e-gone: no longer in the outbox (retention)
    first = found["e-1"]
    assert (first.event_type, first.aggregate_version, first.pending) == (
        "campana-activada",
        2,
        True,
    )
    assert [(d.topic, d.published_at) for d in first.deliveries] == [
        (EVENTS_V2, NOW - timedelta(seconds=30)),
        (EVENT_TOPICS["campana-activada"], None),
    ]
    rejection = found["e-2"]
    assert (rejection.event_type, rejection.aggregate_version) == ("comando-rechazado", None)
    assert rejection.to_json()["deliveries"] == [{"topic": EVENTS_V2, "published_at": None}]
    assert await stored_events(engine, []) == {}


async def test_command_rates_count_the_window_by_outcome(engine: AsyncEngine) -> None:
    await add(
        engine,
        command_log,
        [command(f"a-{i}", ago=10 + i) for i in range(6)]
        + [command("r-1", ago=30, status="rejected")]
        + [command(f"old-{i}", ago=61 + i) for i in range(4)],
    )

    rates = await command_rates(engine, 60, now=NOW)

    assert rates.counts == {"applied": 6, "rejected": 1}
    assert rates.per_second("applied") == pytest.approx(0.1)
    assert rates.to_json()["per_second"] == {"applied": 0.1, "rejected": 0.017}
    empty = await command_rates(engine, 5, now=NOW)
    assert empty.counts == {"applied": 0, "rejected": 0}


async def test_the_outbox_backlog_is_its_unpublished_rows_and_the_oldest_ones_age(
    engine: AsyncEngine,
) -> None:
    assert (await outbox_backlog(engine, NOW)).to_json() == {
        "pending": 0,
        "oldest_pending_at": None,
        "oldest_pending_age_seconds": None,
    }
    await add(
        engine,
        outbox,
        [
            outbox_row("e-1", version=2, created_ago=300, published_ago=200),
            outbox_row("e-2", version=2, created_ago=90),
            outbox_row("e-2", version=1, created_ago=90),
            outbox_row("e-3", version=2, created_ago=5),
        ],
    )

    backlog = await outbox_backlog(engine, NOW)

    assert backlog.pending == 3
    assert backlog.oldest_pending_at == NOW - timedelta(seconds=90)
    assert backlog.oldest_age == 90


async def test_the_projection_lag_is_the_oldest_published_v2_event_not_yet_projected(
    engine: AsyncEngine,
) -> None:
    nothing = await projection_lag(engine, now=NOW)
    assert (nothing.last_published_at, nothing.behind, nothing.lag) == (None, 0, 0.0)
    await add(
        engine,
        outbox,
        [
            outbox_row("e-1", version=2, published_ago=50),
            outbox_row("e-1", version=1, published_ago=50),
            outbox_row("e-2", version=2, published_ago=40),
            outbox_row("e-2", version=1, published_ago=40),
            outbox_row("e-3", version=2, published_ago=20),
            outbox_row("e-4", version=2, published_ago=10),
            outbox_row("e-5", version=2),  # not published: the outbox's backlog, not this
        ],
    )
    await add(
        engine,
        projected_events,
        [{"event_id": e, "projected_at": NOW} for e in ("e-1", "e-4", "e-5")],
    )

    lag = await projection_lag(engine, now=NOW)

    assert lag.last_published_at == NOW - timedelta(seconds=10)
    assert (lag.behind, lag.at_least) == (2, False)  # e-2 and e-3
    assert lag.oldest_unprojected_at == NOW - timedelta(seconds=40)
    assert lag.lag == 40
    # Only the newest events are looked at; all of them behind means "at least".
    recent = await projection_lag(engine, window=2, now=NOW)
    assert (recent.behind, recent.lag) == (1, 20)
    await add(engine, projected_events, [{"event_id": "e-3", "projected_at": NOW}])
    await add(engine, outbox, [outbox_row("e-6", version=2, published_ago=2)])
    newest = await projection_lag(engine, window=1, now=NOW)
    assert (newest.behind, newest.at_least, newest.lag) == (1, True, 2)
    assert newest.to_json()["behind_at_least"] is True
