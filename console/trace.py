"""`alpes trace CORRELATION_ID`: everything the service did for one correlation id.

The commands sent with it and their outcomes (the command log), the events each caused
(the outbox: each event once, with the topics it went to, published or pending), the
read store's view of the campaigns involved, and the dead letters carrying it (through
the admin subscription, as `alpes dlq list` reads them). No tracing backend needed.

Exit codes: 0 shown; 3 nothing has this correlation id; 1 the broker could not be
reached, so the dead letters are missing (one line says so; the rest is shown).
"""

from dataclasses import dataclass
from typing import Any

import typer
from rich.console import RenderableType
from rich.text import Text

from adapters.database.command_status import LoggedCommand, find_commands
from adapters.database.engine import create_engine
from adapters.database.outbox_events import StoredEvent, stored_events
from adapters.database.read_store import get_campaign
from application.projection import CampaignView
from workers.dead_letters import DeadLetter

from .common import USAGE, database_url, emit_json, fail, run, settings
from .dead_letter_reading import PARTIAL, DeadLetterReading, read_dead_letters
from .tables import sections, short_topic, show, table, when

NOTHING_FOUND = 3


@dataclass(frozen=True)
class Trace:
    correlation_id: str
    commands: list[LoggedCommand]  # oldest first, in the order they were applied
    events: dict[str, StoredEvent]  # by event id; ids the outbox no longer holds are absent
    campaigns: dict[str, CampaignView | None]  # None: not in the read store (yet)
    dead_letters: DeadLetterReading | None  # None: not looked at (--no-dlq)
    truncated: bool = False  # more commands than --limit

    @property
    def letters(self) -> list[DeadLetter]:
        reading = self.dead_letters
        if reading is None or reading.listing is None:
            return []
        return reading.listing.correlated(self.correlation_id)

    @property
    def empty(self) -> bool:
        return not self.commands and not self.letters

    def to_json(self) -> dict[str, Any]:
        return {
            "correlation_id": self.correlation_id,
            "commands": [
                entry.to_json() | {"events": [self._event_json(e) for e in entry.record.event_ids]}
                for entry in self.commands
            ],
            "commands_truncated": self.truncated,
            "campaigns": [
                {"id": campana_id, "view": None if view is None else view.to_json()}
                for campana_id, view in self.campaigns.items()
            ],
            "dead_letters": self._dead_letters_json(),
        }

    def _event_json(self, event_id: str) -> dict[str, Any]:
        event = self.events.get(event_id)
        if event is None:
            return {"event_id": event_id, "in_outbox": False}
        return event.to_json() | {"in_outbox": True}

    def _dead_letters_json(self) -> dict[str, Any]:
        reading = self.dead_letters
        if reading is None:
            return {"read": False, "error": "not asked for (--no-dlq)", "messages": []}
        if reading.listing is None:
            return {"read": False, "error": reading.error, "messages": []}
        return {"read": True, "error": None, "messages": [d.summary() for d in self.letters]}


async def gather(
    correlation_id: str,
    *,
    limit: int,
    dead_letters: bool,
    receive_timeout: float,
    broker_timeout: float,
) -> Trace:
    engine = create_engine(database_url(settings(), "readonly"))
    try:
        commands = await find_commands(
            engine, correlation_id=correlation_id, limit=limit + 1, oldest_first=True
        )
        truncated, commands = len(commands) > limit, commands[:limit]
        event_ids = [e for entry in commands for e in entry.record.event_ids]
        events = await stored_events(engine, event_ids)
        involved = dict.fromkeys(c.record.campana_id for c in commands if c.record.campana_id)
        campaigns = {c: await get_campaign(engine, c) for c in involved if c is not None}
    finally:
        await engine.dispose()
    reading = None
    if dead_letters:
        reading = await read_dead_letters(
            receive_timeout=receive_timeout, connect_timeout=broker_timeout
        )

    def applied_order(entry: LoggedCommand) -> tuple[Any, ...]:
        # A batch's commands share a commit time; their events' places keep their order.
        seqs = [events[e].seq for e in entry.record.event_ids if e in events]
        return (entry.processed_at, min(seqs, default=0), entry.record.command_id)

    commands.sort(key=applied_order)
    return Trace(correlation_id, commands, events, campaigns, reading, truncated)


def render(trace: Trace) -> RenderableType:
    parts: list[RenderableType] = [
        Text(
            f"trace {trace.correlation_id}: {len(trace.commands)} command(s), "
            f"{sum(len(c.record.event_ids) for c in trace.commands)} event(s), "
            f"{len(trace.campaigns)} campaign(s), {len(trace.letters)} dead letter(s)"
            + (" (more commands than --limit: the oldest shown)" if trace.truncated else "")
        )
    ]
    commands = table("Commands", "Processed", "Command id", "Type", "Campaign", "Outcome", "Why")
    for entry in trace.commands:
        record = entry.record
        why = "-"
        if record.status == "rejected":
            why = f"{record.reason} ({record.field or '-'}): {record.message}"
        commands.add_row(
            when(entry.processed_at),
            record.command_id,
            record.command_type,
            record.campana_id or "-",
            record.status,
            why,
        )
    parts.append(commands)
    events = table(
        "Events",
        "Event id",
        "Type",
        "Version",
        "Caused by",
        "Topic",
        "Published",
        no_wrap=("Event id", "Topic", "Published"),  # a topic per line, beside its time
    )
    for entry in trace.commands:
        for event_id in entry.record.event_ids:
            event = trace.events.get(event_id)
            if event is None:
                gone = "no longer in the outbox"
                events.add_row(event_id, "-", "-", entry.record.command_id, gone, "-")
                continue
            version = "-" if event.aggregate_version is None else str(event.aggregate_version)
            events.add_row(
                event.event_id,
                event.event_type or "-",
                version,
                entry.record.command_id,
                # One line per topic, the topic beside its time.
                "\n".join(short_topic(d.topic) for d in event.deliveries),
                "\n".join(when(d.published_at, missing="pending") for d in event.deliveries),
            )
    parts.append(events)
    views = table(
        "Campaigns (read store)",
        "Campaign",
        "Estado",
        "Version",
        "Nombre",
        "Budget",
        "Participants",
        "Updated",
    )
    for campana_id, view in trace.campaigns.items():
        if view is None:
            views.add_row(campana_id, "not in the read store (yet)", "-", "-", "-", "-", "-")
            continue
        views.add_row(
            view.id,
            view.estado,
            str(view.version),
            view.nombre,
            f"{format(view.monto, 'f')} {view.divisa}",
            ", ".join(p["id"] for p in view.participantes) or "-",
            when(view.updated_at),
        )
    parts.append(views)
    if trace.dead_letters is not None and trace.dead_letters.listing is not None:
        letters = table(
            "Dead letters", "DLQ topic", "Message id", "Reason", "Exception", "Key", "At", "Body"
        )
        for letter in trace.letters:
            letters.add_row(
                letter.where.short_name,
                letter.message_id,
                letter.reason or "-",
                letter.exception_type or "-",
                letter.key or "-",
                letter.at or "-",
                letter.preview(),
            )
        parts.append(letters)
    return sections(*parts)


def trace(
    correlation_id: str = typer.Argument(
        ..., help="The correlation_id the commands were sent with."
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of tables."),
    limit: int = typer.Option(1000, "--limit", help="At most this many commands (the oldest)."),
    no_dlq: bool = typer.Option(
        False, "--no-dlq", help="Do not read the dead letters (no broker needed)."
    ),
    receive_timeout: float = typer.Option(
        0.5, "--receive-timeout", help="Seconds to wait for each DLQ topic's next message."
    ),
    broker_timeout: float = typer.Option(
        5.0, "--broker-timeout", help="Seconds to wait for the broker before giving up on it."
    ),
) -> None:
    """Everything done for one correlation id: commands and their outcomes, the events they
    caused, the campaigns' current view, the dead letters carrying it.

    Exit codes: 0 shown; 3 nothing has this correlation id; 1 the broker could not be
    reached, so the dead letters are missing (the rest is shown).
    """
    if limit < 1:
        fail(f"--limit: {limit} is not a positive number of commands", USAGE)
    if receive_timeout <= 0 or broker_timeout <= 0:
        fail("--receive-timeout and --broker-timeout must be positive numbers of seconds", USAGE)
    found = run(
        gather(
            correlation_id,
            limit=limit,
            dead_letters=not no_dlq,
            receive_timeout=receive_timeout,
            broker_timeout=broker_timeout,
        )
    )
    reading = found.dead_letters
    partial = reading is not None and reading.listing is None
    if as_json:
        emit_json(found.to_json())
    elif partial or not found.empty:
        show(render(found))
    if reading is not None and reading.listing is None:
        typer.secho(reading.line, fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(PARTIAL)
    if found.empty:
        typer.secho(
            f"nothing has correlation id {correlation_id!r}: no command, no dead letter",
            err=True,
        )
        raise typer.Exit(NOTHING_FOUND)
