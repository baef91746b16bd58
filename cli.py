"""`alpes`: the command line of the Alpes Partners campaign service."""

import asyncio
import logging
import os
import tempfile
from pathlib import Path

import typer

from adapters.embedded_pulsar import EmbeddedPulsar
from adapters.pulsar import APACHE_PULSAR, PULSAR_LITE, PulsarBroker
from workers import demo as pipeline

app = typer.Typer(
    help="Alpes Partners: message-driven campaign service on Apache Pulsar.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """Alpes Partners: message-driven campaign service on Apache Pulsar."""


def _quiet_logs() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pulsar.client").setLevel(logging.WARNING)


@app.command()
def demo(
    count: int = typer.Option(3, min=1, max=1000, help="Commands to send."),
    data_dir: Path | None = typer.Option(
        None, help="Where the embedded broker keeps its data (default: a temporary folder)."
    ),
) -> None:
    """Run the pipeline on the embedded broker: commands in, events out, then exit."""
    _quiet_logs()
    folder = data_dir or Path(tempfile.mkdtemp(prefix="alpes-demo-"))
    url = os.environ.get("ALPES_PULSAR_URL")
    if url:
        typer.echo(f"broker: {url}")
        asyncio.run(_demo(url, count, embedded=False))
        return
    with EmbeddedPulsar(folder) as broker:
        typer.echo(f"broker: pulsar-lite (embedded) at {broker.url}, data in {folder}")
        asyncio.run(_demo(broker.url, count, embedded=True))


async def _demo(url: str, count: int, *, embedded: bool) -> None:
    broker = PulsarBroker(
        url,
        capabilities=PULSAR_LITE if embedded else APACHE_PULSAR,
        logger=logging.getLogger("alpes.broker"),  # WARNING and up: the demo prints its own
    )
    pipeline.register(broker)
    events = broker.subscriber(pipeline.EVENTS, subscription="alpes-demo-tail")
    await broker.start()
    try:
        for n in range(1, count + 1):
            command = pipeline.Saludar(campana_id=f"c-{n:05d}", nombre=f"Partner {n}")
            await broker.publish(command, pipeline.COMMANDS, key=command.campana_id)
            typer.echo(f"-> command  {_short(pipeline.COMMANDS)}  {command.model_dump()}")
        for _ in range(count):
            message = await events.get_one(timeout=30)
            if message is None:
                raise typer.Exit(code=1)
            event = pipeline.Saludado.model_validate(await message.decode())
            await message.ack()
            typer.echo(f"<- event    {_short(pipeline.EVENTS)}  {event.model_dump(mode='json')}")
    finally:
        await broker.stop()
    typer.echo(f"ok: {count} commands applied, {count} events received")


def _short(topic: str) -> str:
    return topic.rsplit("/", 1)[-1]


if __name__ == "__main__":
    app()
