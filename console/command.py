"""`alpes command status ID` and `alpes command list`: commands' outcomes."""

import dataclasses
from datetime import datetime

import typer

from adapters.database.command_status import STATUSES, LoggedCommand, command_status, find_commands

from .common import NOT_FOUND, USAGE, emit_json, engine_for, fail, run, settings
from .tables import parse_since, show, table, when

app = typer.Typer(help="Command outcomes.", no_args_is_help=True)

MAX_LIMIT = 10000


@app.command()
def status(command_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """applied or rejected (with the reason), or not processed yet."""

    async def query() -> None:
        engine = engine_for(settings(), "readonly")
        try:
            record = await command_status(engine, command_id)
        finally:
            await engine.dispose()
        if record is None:
            fail(
                f"no outcome for command {command_id!r} (not processed yet, or unknown)", NOT_FOUND
            )
        if as_json:
            emit_json(dataclasses.asdict(record))
            return
        typer.echo(f"{record.command_id}: {record.status} ({record.command_type})")
        if record.campana_id:
            typer.echo(f"campaign: {record.campana_id}")
        if record.status == "rejected":
            typer.echo(f"reason: {record.reason} ({record.field or '-'}): {record.message}")
        for event_id in record.event_ids:
            typer.echo(f"event: {event_id}")

    run(query())


@app.command("list")
def list_(
    status: str | None = typer.Option(
        None, "--status", help=f"Only this outcome: {' or '.join(STATUSES)}."
    ),
    since: str | None = typer.Option(
        None,
        "--since",
        help="Only commands recorded since: a duration back from now (90s, 10m, 2h, 1d) or "
        "an ISO-8601 time (UTC unless it names an offset).",
    ),
    correlation_id: str | None = typer.Option(
        None, "--correlation-id", help="Only commands sent with this correlation id."
    ),
    campaign: str | None = typer.Option(None, "--campaign", help="Only this campaign's commands."),
    limit: int = typer.Option(50, "--limit", help=f"At most this many (1-{MAX_LIMIT})."),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """Commands from the command log, newest first; the filters combine."""
    if status is not None and status not in STATUSES:
        fail(f"--status: unknown status {status!r}; expected {' or '.join(STATUSES)}", USAGE)
    moment: datetime | None = None
    if since is not None:
        try:
            moment = parse_since(since)
        except ValueError as error:
            fail(f"--since: {error}", USAGE)
    if not 1 <= limit <= MAX_LIMIT:
        fail(f"--limit: {limit} is not between 1 and {MAX_LIMIT}", USAGE)

    async def query() -> list[LoggedCommand]:
        engine = engine_for(settings(), "readonly")
        try:
            return await find_commands(
                engine,
                status=status,
                since=moment,
                correlation_id=correlation_id,
                campana_id=campaign,
                limit=limit,
            )
        finally:
            await engine.dispose()

    found = run(query())
    if as_json:
        emit_json([entry.to_json() for entry in found])
        return
    shown = table(
        f"{len(found)} command(s), newest first",
        "Processed",
        "Command id",
        "Type",
        "Campaign",
        "Outcome",
        "Reason",
        "Correlation id",
    )
    for entry in found:
        record = entry.record
        shown.add_row(
            when(entry.processed_at),
            record.command_id,
            record.command_type,
            record.campana_id or "-",
            record.status,
            record.reason or "-",
            record.correlation_id or "-",
        )
    show(shown)
