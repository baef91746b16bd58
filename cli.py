"""`alpes`: the command line of the Alpes Partners campaign service."""

import typer

import console.dlq as dlq
from console import campaign, command, contracts, db, demo, events, projections, runtime

app = typer.Typer(
    help="Alpes Partners: message-driven campaign service on Apache Pulsar.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(campaign.app, name="campaign")
app.add_typer(command.app, name="command")
app.add_typer(db.app, name="db")
app.add_typer(events.app, name="events")
app.add_typer(projections.app, name="projections")
app.add_typer(runtime.worker, name="worker")
app.add_typer(contracts.schemas, name="schemas")
app.add_typer(dlq.app, name="dlq")
app.command()(contracts.topics)
app.command()(runtime.dev)
app.command()(demo.demo)


if __name__ == "__main__":
    app()
