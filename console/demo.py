"""`alpes demo`: the seed's campaign through the whole service on the embedded default.

Starts pulsar-lite and a SQLite file in a temporary folder, runs every worker in this
process, sends the seed's campaign and a few lifecycle commands through Pulsar on the
v2 command stream (one on a deprecated v1 topic, to show both versions are served; one
invalid, to show a rejection), prints the v2 event stream as it flows and the read-model
view, and exits 0 when everything came out as expected.
"""

import asyncio
import json
import os
import shutil
import sys
import tempfile
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

import typer

from adapters.database.engine import create_engine
from adapters.database.migrate import upgrade
from adapters.database.read_store import get_campaign
from adapters.embedded_pulsar import EmbeddedPulsar
from contracts.examples import example
from workers.bootstrap import WORKERS, build
from workers.client import send_command, wait_for_outcome
from workers.settings import Settings
from workers.tail import TailedEvent, format_event, tail

from .common import fail, run

# (command, body, contract version); the last one targets a campaign that does not exist.
SCRIPT: list[tuple[str, bytes, int]] = [
    ("crear-campana", example("crear-campana", 2), 2),
    ("activar-campana", example("activar-campana", 2), 2),
    ("agregar-participante", example("agregar-participante", 1), 1),
    ("ajustar-presupuesto", example("ajustar-presupuesto", 2), 2),
    ("pausar-campana", example("pausar-campana", 2), 2),
    ("reanudar-campana", example("reanudar-campana", 2), 2),
    ("finalizar-campana", json.dumps({"campana_id": "c-99999"}).encode(), 2),
]
CAMPAIGN = "c-12345"


def demo(
    data_dir: Path | None = typer.Option(
        None, help="Folder for the broker's and the database's files (default: a temporary one)."
    ),
) -> None:
    """Run the seed's campaign through the service on the embedded broker, then exit."""
    folder = (data_dir or Path(tempfile.mkdtemp(prefix="alpes-demo-"))).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        pulsar_url=None,
        database_url=f"sqlite:///{folder / 'alpes.db'}",
        data_dir=folder,
        notification_file=folder / "notifications.jsonl",
    )
    run(_demo(settings, folder))


async def _demo(settings: Settings, folder: Path) -> None:
    await upgrade(settings.database_url)
    async with AsyncExitStack() as stack:
        broker = stack.enter_context(EmbeddedPulsar(folder / "pulsar-lite"))
        typer.echo(f"pulsar-lite (embedded) at {broker.url}; SQLite at {folder / 'alpes.db'}")
        runtime = build(settings, broker.url, WORKERS, embedded=True)
        await runtime.app.start()
        stack.push_async_callback(runtime.app.stop)

        seen: list[TailedEvent] = []
        stop, ready = asyncio.Event(), asyncio.Event()

        def show(event: TailedEvent) -> None:
            seen.append(event)
            typer.echo(f"   <- {format_event(event)}")

        tailing = asyncio.create_task(
            tail(broker.url, from_beginning=False, on_event=show, stop=stop, ready=ready)
        )
        await asyncio.wait_for(ready.wait(), 30)

        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        outcomes = []
        # One correlation id for the whole story, so that `alpes trace` can follow it.
        correlation_id = f"demo-{uuid.uuid4().hex[:8]}"
        for command_type, body, contract in SCRIPT:
            sent = await send_command(
                runtime.broker, command_type, body, contract=contract, correlation_id=correlation_id
            )
            record = await wait_for_outcome(engine, sent.command_id, timeout=30)
            if record is None:
                fail(f"{command_type}: no outcome within 30s")
            outcome = record.status + (f" {record.reason}" if record.reason else "")
            typer.echo(f"-> v{contract} {command_type:<22} {sent.campana_id:<8} {outcome}")
            outcomes.append(record.status)

        expected_version = outcomes.count("applied")
        view = None
        async with asyncio.timeout(30):
            while view is None or view.version < expected_version or len(seen) < len(SCRIPT):
                await asyncio.sleep(0.05)
                view = await get_campaign(engine, CAMPAIGN)
        stop.set()
        await tailing

    typer.echo("\nread model (campaign_view):")
    typer.echo(json.dumps(view.to_json(), ensure_ascii=False, indent=2))
    typer.echo(
        f"\nok: {len(SCRIPT)} commands, {expected_version} applied, "
        f"{outcomes.count('rejected')} rejected, {len(seen)} events; files in {folder}"
    )
    # As it can be pasted: `make demo` runs the virtualenv's alpes, not one on the PATH.
    alpes = "alpes" if shutil.which("alpes") else _shortest(sys.argv[0])
    typer.echo(
        f"follow them: ALPES_DATABASE_URL={settings.database_url} {alpes} trace "
        f"{correlation_id} --no-dlq"
    )


def _shortest(path: str) -> str:
    """``path`` relative to here when it is below here, else absolute."""
    relative = os.path.relpath(path)
    return os.path.abspath(path) if relative.startswith("..") else relative
