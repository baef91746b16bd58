"""`alpes command status ID`: a command's outcome."""

import dataclasses

import typer

from adapters.database.command_status import command_status

from .common import NOT_FOUND, emit_json, engine_for, fail, run, settings

app = typer.Typer(help="Command outcomes.", no_args_is_help=True)


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
