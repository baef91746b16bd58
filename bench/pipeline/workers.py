"""The service under test: the commands worker and the relay as two `alpes worker run`
processes (tests.support.servers.workers), and waiting on their progress."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, BenchError, say
from tests.support.servers.workers import Worker, worker_env

from .database import progress
from .options import Options
from .servers import BrokerServer, DatabaseServer

SAMPLER = "OTEL_TRACES_SAMPLER"


class Workers:
    """The commands worker and the relay, as separate ``alpes worker run`` processes with
    every setting at its default but ``--worker-env``'s (and ``extra_env``'s, on top)."""

    def __init__(
        self,
        broker: BrokerServer,
        database_url: str,
        opts: Options,
        label: str,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        unused = str(Path(tempfile.gettempdir()) / "alpes-bench-unused")
        env = worker_env(broker.url, broker.kind, database_url, "WARNING", ALPES_DATA_DIR=unused)
        # OTEL_* variables of the shell would turn tracing on in every run, the plain ones
        # too: only --worker-env and the observed run set them. OTEL_TRACES_SAMPLER is
        # kept, so that a sampler can be tried (the observed run reports it).
        env = {k: v for k, v in env.items() if k == SAMPLER or not k.startswith("OTEL_")}
        env |= opts.worker_env | (extra_env or {})
        self.commands = Worker("commands", env, opts.logs / f"{label}-commands.log", ROOT).start()
        self.relay = Worker("relay", env, opts.logs / f"{label}-relay.log", ROOT).start()

    def check(self) -> None:
        self.commands.check_alive()
        self.relay.check_alive()

    def stop(self) -> None:
        codes = (self.commands.terminate(), self.relay.terminate())
        if any(code not in (0, None) for code in codes):
            say(f"    note: workers exited with {codes}")


async def wait_first_row(engine: Any, workers: Workers, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (await progress(engine))[0] == 0:
        workers.check()
        if time.monotonic() > deadline:
            raise BenchError(f"no command applied within {timeout:g}s of starting the workers")
        await asyncio.sleep(0.01)


async def wait_done(engine: Any, workers: Workers, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        done, pending = await progress(engine)
        if done >= n and pending == 0:
            return
        workers.check()
        if time.monotonic() > deadline:
            raise BenchError(f"after {timeout:g}s: {done} of {n} commands, {pending} unpublished")
        await asyncio.sleep(0.05)


def pids(broker: BrokerServer, database: DatabaseServer, workers: Workers) -> dict[str, int | None]:
    return {
        "commands worker": workers.commands.pid,
        "relay": workers.relay.pid,
        "broker": broker.pid,
        "database": database.pid,
    }
