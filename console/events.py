"""`alpes events tail`: integration events, live, as they are published (the seed's `ui`)."""

import asyncio
import signal

import typer

from adapters.pulsar import PulsarSecurity
from contracts.topics import EVENT_TOPICS
from workers.local import resolve_pulsar
from workers.tail import TailedEvent, format_event, tail

from .common import fail, run, settings

app = typer.Typer(help="Integration events.", no_args_is_help=True)


@app.command("tail")
def tail_(
    from_beginning: bool = typer.Option(
        False, "--from-beginning", help="Replay every stored event first."
    ),
    event: list[str] = typer.Option(
        [], "--event", help="Only these event types (repeatable), e.g. campana-creada."
    ),
) -> None:
    """Print events as they arrive, one line each, until Ctrl-C."""
    unknown = [e for e in event if e not in EVENT_TOPICS]
    if unknown:
        fail(f"unknown event type(s) {unknown}; expected: {', '.join(EVENT_TOPICS)}")
    config = settings()
    topics = [EVENT_TOPICS[e] for e in event] or list(EVENT_TOPICS.values())

    async def main() -> None:
        url, _ = resolve_pulsar(config)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        token = config.pulsar_token.get_secret_value() if config.pulsar_token else None
        security = PulsarSecurity(
            token=token, tls_trust_certs_file_path=config.pulsar_tls_trust_certs
        )

        def show(tailed: TailedEvent) -> None:
            typer.echo(format_event(tailed))

        await tail(
            url, from_beginning=from_beginning, on_event=show, stop=stop, topics=topics,
            security=security,
        )

    run(main())
