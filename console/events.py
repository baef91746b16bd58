"""`alpes events tail`: integration events, live, as they are published (the seed's `ui`)."""

import asyncio
import json
import signal

import typer

from adapters.pulsar import PulsarSecurity
from contracts.topics import EVENT_NAMES
from workers.local import resolve_pulsar
from workers.tail import TailedEvent, format_event, tail

from .common import USAGE, fail, run, settings

app = typer.Typer(help="Integration events.", no_args_is_help=True)


@app.command("tail")
def tail_(
    from_beginning: bool = typer.Option(
        False, "--from-beginning", help="Replay every stored event first."
    ),
    event: list[str] = typer.Option(
        [], "--event", help="Only these event types (repeatable), e.g. campana-creada."
    ),
    campaign: list[str] = typer.Option(
        [], "--campaign", help="Only the events of these campaigns (repeatable)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="One JSON object per event and line (JSON lines)."
    ),
) -> None:
    """Print the v2 event stream as it arrives, one line each, until Ctrl-C."""
    unknown = [e for e in event if e not in EVENT_NAMES]
    if unknown:
        fail(f"unknown event type(s) {unknown}; expected: {', '.join(EVENT_NAMES)}", USAGE)
    config = settings()
    wanted_events, wanted_campaigns = set(event), set(campaign)

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
            if wanted_events and tailed.event_type not in wanted_events:
                return
            if wanted_campaigns and tailed.campana_id not in wanted_campaigns:
                return
            if as_json:
                typer.echo(json.dumps(tailed.as_json(), ensure_ascii=False))
            else:
                typer.echo(format_event(tailed))

        await tail(url, from_beginning=from_beginning, on_event=show, stop=stop, security=security)

    run(main())
