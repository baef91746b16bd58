"""One more pipeline run, not counted, with py-spy sampling both workers."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from adapters.database.engine import create_engine
from bench.common import say

from .commands import run_tag
from .options import Options
from .profile_summary import COMMAND_STAGES, RELAY_STAGES, summarize_profile
from .publishing import publish_commands
from .results import ConfigResult
from .servers import BrokerServer, DatabaseServer
from .workers import Workers, wait_done, wait_first_row


def py_spy() -> str | None:
    """The py-spy binary (a PyPI wheel: ``pip install py-spy``), if installed."""
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found if Path(found).exists() else None


def start_py_spy(spy: str, pid: int, output: Path) -> subprocess.Popen[bytes]:
    """Sample ``pid`` at 100 Hz without stopping it, all threads, until SIGINT; collapsed
    stacks (one line per stack and its count) go to ``output``."""
    return subprocess.Popen(
        [
            spy,
            "record",
            "--nonblocking",
            "--threads",
            "--rate",
            "100",
            "--format",
            "raw",
            "--output",
            str(output),
            "--pid",
            str(pid),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_py_spy(spies: Sequence[subprocess.Popen[bytes]]) -> None:
    for p in spies:
        p.send_signal(signal.SIGINT)
    for p in spies:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


async def run_profile(
    broker: BrokerServer, database: DatabaseServer, opts: Options, result: ConfigResult
) -> None:
    """One more pipeline run (not counted) with py-spy sampling both workers."""
    spy = py_spy()
    if spy is None:
        result.notes.append("profile skipped: py-spy not found (pip install py-spy)")
        say(f"    {result.notes[-1]}")
        return
    broker.fresh()
    n = opts.profile_commands
    db_url = await database.fresh()
    tag = run_tag()
    await publish_commands(broker.url, tag, n)
    workers = Workers(broker, db_url, opts, f"{result.name}-profile")
    engine = create_engine(db_url)
    opts.profile_dir.mkdir(parents=True, exist_ok=True)
    outputs = {
        "commands": opts.profile_dir / f"{result.name}-commands.txt",
        "relay": opts.profile_dir / f"{result.name}-relay.txt",
    }
    spies: list[subprocess.Popen[bytes]] = []
    try:
        await wait_first_row(engine, workers, 60)
        started = time.monotonic()
        for name, proc in (("commands", workers.commands), ("relay", workers.relay)):
            spies.append(start_py_spy(spy, proc.pid, outputs[name]))
        await wait_done(engine, workers, n, opts.run_timeout)
        took = time.monotonic() - started
    finally:
        await asyncio.to_thread(stop_py_spy, spies)
        await engine.dispose()
        workers.stop()
    await database.drop(db_url)
    lines = [
        f"py-spy (100 Hz, non-blocking) on {result.name}, {n} commands in {took:.1f} s "
        f"under the profiler ({n / took:,.0f} cmd/s); raw stacks in {opts.profile_dir}",
        "commands worker:",
        *summarize_profile(outputs["commands"], COMMAND_STAGES),
        "relay:",
        *summarize_profile(outputs["relay"], RELAY_STAGES),
    ]
    result.profile = lines
    for line in lines:
        say(f"    {line}")
