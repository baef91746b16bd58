"""`alpes dev` and `alpes worker run NAME`: running the workers."""

import asyncio
import gc
import signal
from contextlib import AsyncExitStack

import typer

from adapters.database.migrate import upgrade
from adapters.embedded_pulsar import EmbeddedPulsar
from adapters.telemetry import logs
from workers.bootstrap import WORKERS, build
from workers.local import embedded_dir, resolve_pulsar, write_embedded_url
from workers.settings import Settings

from .common import quiet_logs, run, settings
from .db import _ensure_sqlite_folder

worker = typer.Typer(help="Run one worker process.", no_args_is_help=True)


async def serve(config: Settings, url: str, workers: tuple[str, ...], *, embedded: bool) -> None:
    """Run the workers until SIGINT/SIGTERM, then stop gracefully."""
    runtime = build(config, url, workers, embedded=embedded)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await runtime.app.start()
    # Everything loaded so far lives as long as the process: keep it out of the
    # collector's full passes, which otherwise stall the event loop for 70-140 ms.
    gc.freeze()
    if runtime.endpoint is not None:
        where = runtime.endpoint.url
        typer.echo(
            logs.line(f"operations endpoint on {where}: /metrics /healthz /readyz"), err=True
        )
    typer.echo(logs.line(f"running {', '.join(workers)} on {url}; Ctrl-C to stop"), err=True)
    try:
        await stop.wait()
    finally:
        await runtime.app.stop()


@worker.command("run")
def run_worker(name: str = typer.Argument(..., help=f"One of: {', '.join(WORKERS)}.")) -> None:
    """Run one worker (scale out by running more processes: they compete for messages)."""
    if name not in WORKERS:
        from .common import USAGE, fail

        fail(f"unknown worker {name!r}; choose from {', '.join(WORKERS)}", USAGE)
    config = settings()
    quiet_logs()

    async def main() -> None:
        url, embedded = resolve_pulsar(config)
        await serve(config, url, (name,), embedded=embedded)

    run(main(), worker=True)


def dev() -> None:
    """Everything in one process: the embedded broker (unless ALPES_PULSAR_URL is set), the
    database (SQLite in ./var unless ALPES_DATABASE_URL is set, migrated to head), all workers."""
    config = settings()

    async def main() -> None:
        _ensure_sqlite_folder(config.migration_url)
        await upgrade(config.migration_url)
        async with AsyncExitStack() as stack:
            if config.pulsar_url:
                url, embedded = config.pulsar_url, config.pulsar_flavor == "lite"
            else:
                broker = stack.enter_context(EmbeddedPulsar(embedded_dir(config)))
                url, embedded = broker.url, True
                write_embedded_url(config, url)
                typer.echo(logs.line(f"embedded broker (pulsar-lite) at {url}"), err=True)
            await serve(config, url, WORKERS, embedded=embedded)

    run(main(), worker=True)
