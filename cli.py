"""`alpes`: the command line of the Alpes Partners campaign service."""

import logging
import os
import sys

import typer

import console.access as access
import console.dlq as dlq
from console import (
    campaign,
    command,
    contracts,
    db,
    demo,
    events,
    projections,
    runtime,
    status,
    top,
)
from console import trace as tracing
from contracts.asyncapi import service_version

EXIT_CODES = (
    "Exit codes: 0 done; 1 could not be done (a broker or database away, a refusal, a bad "
    "file); 2 usage (a wrong option, argument or ALPES_* setting); 3 nothing to show (no "
    "such campaign, command or dead letter, or no outcome within --timeout); 4 the "
    "command was rejected (by the contract or the campaign's rules)."
)

app = typer.Typer(
    help="Alpes Partners: message-driven campaign service on Apache Pulsar.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"alpes {service_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Alpes Partners: message-driven campaign service on Apache Pulsar."""


app.add_typer(campaign.app, name="campaign")
app.add_typer(command.app, name="command")
app.add_typer(db.app, name="db")
app.add_typer(events.app, name="events")
app.add_typer(projections.app, name="projections")
app.add_typer(runtime.worker, name="worker")
app.add_typer(contracts.schemas, name="schemas")
app.add_typer(dlq.app, name="dlq")
app.add_typer(access.app, name="topics")
app.command()(runtime.dev)
app.command()(demo.demo)
app.command()(tracing.trace)
app.command()(status.status)
app.command()(top.top)


def main() -> None:
    """The `alpes` entry point: the app, then an exit that skips interpreter teardown.

    pulsar-client's C++ objects can abort the process while Python finalises
    ("terminate called without an active exception"), turning a finished command into
    exit code 134. Everything is flushed first, then the process leaves at once.
    """
    try:
        app()
        code = 0
    except SystemExit as exit_:
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
