"""`alpes status` (once) and `alpes top` (live): how the service is doing right now.

Commands per second by outcome over the last minute (the command log), the outbox's
backlog and its oldest pending event's age, how far the read store is behind the
published v2 stream, the non-empty dead-letter topics (through the admin subscription,
as `alpes dlq list` reads them: this needs the broker), and the worker processes whose
heartbeat was seen lately.

`alpes status` exit codes: 0 shown; 1 the broker could not be reached, so the dead
letters are missing (one line says so; the rest is shown). `alpes top` (console/top.py)
shows the same, live.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import typer
from rich.console import RenderableType
from rich.text import Text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.activity import (
    CommandRates,
    OutboxBacklog,
    ProjectionLag,
    command_rates,
    outbox_backlog,
    projection_lag,
)
from adapters.database.engine import create_engine, redact
from adapters.database.heartbeats import Heartbeat, seen_since

from .common import USAGE, database_url, emit_json, fail, run, settings
from .dead_letter_reading import PARTIAL, DeadLetterReading, read_dead_letters
from .tables import ago, sections, show, table, when

WINDOW = typer.Option(60.0, "--window", help="Seconds of command log the rates are taken over.")
SEEN_WITHIN = typer.Option(
    30.0, "--seen-within", help="List the worker processes whose heartbeat is this recent (s)."
)
NO_DLQ = typer.Option(False, "--no-dlq", help="Do not read the dead letters (no broker needed).")
RECEIVE_TIMEOUT = typer.Option(
    0.5, "--receive-timeout", help="Seconds to wait for each DLQ topic's next message."
)
BROKER_TIMEOUT = typer.Option(
    5.0, "--broker-timeout", help="Seconds to wait for the broker before giving up on it."
)


@dataclass(frozen=True)
class DatabaseStatus:
    commands: CommandRates
    outbox: OutboxBacklog
    projection: ProjectionLag
    workers: list[Heartbeat]


@dataclass(frozen=True)
class Status:
    at: datetime
    database_url: str  # redacted
    seen_within: float
    database: DatabaseStatus | None
    database_error: str | None = None
    dead_letters: DeadLetterReading | None = None  # None: not read (--no-dlq, or not yet)
    dead_letters_at: datetime | None = None  # when they were read
    dead_letters_wanted: bool = True  # False: --no-dlq

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"at": self.at.isoformat(), "database": self.database_url}
        if self.database is None:
            data["database_error"] = self.database_error
        else:
            data |= {
                "commands": self.database.commands.to_json(),
                "outbox": self.database.outbox.to_json(),
                "projection": self.database.projection.to_json(),
                "workers": {
                    "seen_within_seconds": self.seen_within,
                    "processes": [w.to_json(self.at) for w in self.database.workers],
                },
            }
        data["dead_letters"] = self._dead_letters_json()
        return data

    def _dead_letters_json(self) -> dict[str, Any]:
        reading = self.dead_letters
        if reading is None:
            why = "not read yet" if self.dead_letters_wanted else "not read (--no-dlq)"
            return {"read": False, "error": why, "depth": {}, "total": None}
        if reading.listing is None:
            return {"read": False, "error": reading.error, "depth": {}, "total": None}
        depth = _depth(reading)
        return {"read": True, "error": None, "depth": depth, "total": sum(depth.values())}


def _depth(reading: DeadLetterReading) -> dict[str, int]:
    """DLQ topic (short name) -> messages parked there, the non-empty ones."""
    assert reading.listing is not None
    counts = reading.listing.counts()
    return {t.short_name: counts[t.topic] for t in reading.listing.topics if counts[t.topic]}


async def database_status(engine: AsyncEngine, window: float, seen_within: float) -> DatabaseStatus:
    now = datetime.now(UTC)
    return DatabaseStatus(
        commands=await command_rates(engine, window, now),
        outbox=await outbox_backlog(engine, now),
        projection=await projection_lag(engine, now=now),
        workers=await seen_since(engine, now - timedelta(seconds=seen_within)),
    )


def render(status: Status, *, live: bool = False) -> RenderableType:
    title = f"alpes status at {when(status.at)}  database {status.database_url}"
    if live:
        title = f"alpes top at {when(status.at)}  database {status.database_url}  (Ctrl-C to stop)"
    parts: list[RenderableType] = [Text(title, style="bold")]
    db = status.database
    if db is None:
        parts.append(Text(f"database not read: {status.database_error}", style="red"))
    else:
        rates = table(
            f"Commands (last {db.commands.window:g} s)", "Outcome", "Commands", "Per second"
        )
        for outcome, count in db.commands.counts.items():
            rates.add_row(outcome, str(count), f"{db.commands.per_second(outcome):.2f}")
        outbox = table("Outbox", "Pending rows", "Oldest pending since", "Age")
        outbox.add_row(
            str(db.outbox.pending), when(db.outbox.oldest_pending_at), ago(db.outbox.oldest_age)
        )
        lag = db.projection
        projection = table(
            "Projection (read store)", "Last v2 event published", "Not yet projected", "Lag"
        )
        projection.add_row(
            when(lag.last_published_at),
            f"{lag.behind}{'+' if lag.at_least else ''}",
            ago(lag.lag),
        )
        parts += [rates, outbox, projection]
    parts.append(_dead_letters(status))
    if db is not None:
        workers = table(
            f"Worker processes (heartbeat in the last {status.seen_within:g} s)",
            "Process",
            "Host",
            "PID",
            "Roles",
            "Started",
            "Last seen",
        )
        for worker in db.workers:
            workers.add_row(
                worker.id,
                worker.host,
                str(worker.pid),
                ", ".join(worker.roles),
                when(worker.started_at),
                f"{ago((status.at - worker.last_seen).total_seconds())} ago",
            )
        parts.append(workers)
    return sections(*parts)


def _dead_letters(status: Status) -> RenderableType:
    reading = status.dead_letters
    if reading is None:
        if not status.dead_letters_wanted:
            return Text("dead letters: not read (--no-dlq)")
        return Text("dead letters: reading...")
    if reading.listing is None:
        return Text(reading.line, style="yellow")
    depth = _depth(reading)
    read = "" if status.dead_letters_at is None else f", read at {when(status.dead_letters_at)}"
    shown = table(
        f"Dead letters: {sum(depth.values())} in {len(depth)} of "
        f"{len(reading.listing.topics)} DLQ topic(s){read}",
        "DLQ topic",
        "Depth",
    )
    for name, count in depth.items():
        shown.add_row(name, str(count))
    return shown


def check_options(
    window: float, seen_within: float, receive_timeout: float, broker_timeout: float
) -> None:
    for name, value in (
        ("--window", window),
        ("--seen-within", seen_within),
        ("--receive-timeout", receive_timeout),
        ("--broker-timeout", broker_timeout),
    ):
        if value <= 0:
            fail(f"{name}: {value:g} is not a positive number of seconds", USAGE)


def status(
    as_json: bool = typer.Option(False, "--json", help="JSON instead of tables."),
    window: float = WINDOW,
    seen_within: float = SEEN_WITHIN,
    no_dlq: bool = NO_DLQ,
    receive_timeout: float = RECEIVE_TIMEOUT,
    broker_timeout: float = BROKER_TIMEOUT,
) -> None:
    """How the service is doing: commands per second by outcome, the outbox's backlog, the
    projection's lag, the non-empty DLQ topics, the worker processes seen lately.

    Exit codes: 0 shown; 1 the broker could not be reached, so the dead letters are missing
    (the rest is shown).
    """
    check_options(window, seen_within, receive_timeout, broker_timeout)
    url = database_url(settings(), "readonly")

    async def gather() -> Status:
        engine = create_engine(url)
        try:
            database = await database_status(engine, window, seen_within)
        finally:
            await engine.dispose()
        reading = None
        if not no_dlq:
            reading = await read_dead_letters(
                receive_timeout=receive_timeout, connect_timeout=broker_timeout
            )
        now = datetime.now(UTC)
        return Status(now, redact(url), seen_within, database, None, reading, now, not no_dlq)

    found = run(gather())
    if as_json:
        emit_json(found.to_json())
    else:
        show(render(found))
    if found.dead_letters is not None and found.dead_letters.listing is None:
        typer.secho(found.dead_letters.line, fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(PARTIAL)
