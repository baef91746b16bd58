"""`alpes top`: `alpes status` refreshed in place until Ctrl-C (exit 0).

The database is read every --refresh seconds, the dead letters every --dlq-every seconds
in the background (each reading holds the DLQ's messages for a moment: see
docs/failure-semantics.md). A database or broker that cannot be reached is shown in the
frame, and the next frame tries again. Output that is not a terminal gets one frame
after another.
"""

import asyncio
import signal
from datetime import UTC, datetime

import typer
from rich.live import Live
from rich.text import Text
from sqlalchemy import exc

from adapters.database.engine import create_engine, redact

from .common import USAGE, database_url, fail, run, settings
from .dead_letter_reading import DeadLetterReading, read_dead_letters
from .status import (
    BROKER_TIMEOUT,
    NO_DLQ,
    RECEIVE_TIMEOUT,
    SEEN_WITHIN,
    WINDOW,
    Status,
    check_options,
    database_status,
    render,
)
from .tables import sections, show, stdout


def top(
    refresh: float = typer.Option(1.0, "--refresh", help="Seconds between frames."),
    iterations: int = typer.Option(
        0, "--iterations", help="Stop after this many frames (0: until Ctrl-C)."
    ),
    dlq_every: float = typer.Option(
        10.0, "--dlq-every", help="Seconds between readings of the dead letters."
    ),
    window: float = WINDOW,
    seen_within: float = SEEN_WITHIN,
    no_dlq: bool = NO_DLQ,
    receive_timeout: float = RECEIVE_TIMEOUT,
    broker_timeout: float = BROKER_TIMEOUT,
) -> None:
    """`alpes status`, refreshed in place every --refresh seconds until Ctrl-C (exit 0).

    The dead letters are read every --dlq-every seconds, in the background: reading them
    holds the DLQ's messages for a moment (see docs/failure-semantics.md). Output that is
    not a terminal gets one frame after another.
    """
    check_options(window, seen_within, receive_timeout, broker_timeout)
    for name, value in (("--refresh", refresh), ("--dlq-every", dlq_every)):
        if value <= 0:
            fail(f"{name}: {value:g} is not a positive number of seconds", USAGE)
    if iterations < 0:
        fail(f"--iterations: {iterations} is negative; 0 means until Ctrl-C", USAGE)
    url = database_url(settings(), "readonly")
    console = stdout()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        engine = create_engine(url)
        letters: list[tuple[DeadLetterReading, datetime]] = []

        async def watch_dead_letters() -> None:
            while not stop.is_set():
                reading = await read_dead_letters(
                    receive_timeout=receive_timeout, connect_timeout=broker_timeout
                )
                letters[:] = [(reading, datetime.now(UTC))]
                await _wait(stop, dlq_every)

        async def frame() -> Status:
            now = datetime.now(UTC)
            reading, read_at = letters[0] if letters else (None, None)
            try:
                database = await database_status(engine, window, seen_within)
            except (exc.SQLAlchemyError, OSError) as error:
                cause = getattr(error, "orig", None) or error
                first = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
                return Status(
                    now, redact(url), seen_within, None, first, reading, read_at, not no_dlq
                )
            return Status(
                now, redact(url), seen_within, database, None, reading, read_at, not no_dlq
            )

        watcher = None if no_dlq else asyncio.create_task(watch_dead_letters())
        shown = 0
        try:
            if console.is_terminal:
                with Live(console=console, auto_refresh=False) as live:
                    while not stop.is_set():
                        live.update(render(await frame(), live=True), refresh=True)
                        shown += 1
                        if iterations and shown >= iterations:
                            break
                        await _wait(stop, refresh)
            else:
                while not stop.is_set():
                    show(sections(render(await frame(), live=True), Text("")))
                    shown += 1
                    if iterations and shown >= iterations:
                        break
                    await _wait(stop, refresh)
        finally:
            stop.set()
            if watcher is not None:
                await watcher
            await engine.dispose()

    run(main())


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
