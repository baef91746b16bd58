"""``python -m bench.retention``: both runs at once, their tables, the JSON lines."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from bench.common import exit_on_sigterm, machine, quiet_logs, say
from bench.pipeline.report import git_state
from bench.pipeline.servers import DatabaseServer

from .figures import comparison, figures
from .options import Options
from .report import comparison_lines, samples_table, summary
from .run import Run, build_run
from .stack import Stack


async def bench(opts: Options, logs: Path) -> list[Run]:
    """Both runs side by side: started together, so that whatever else the machine does
    weighs on both alike (the OFF run is the same-run baseline)."""
    database = DatabaseServer("postgresql" if opts.postgres else "sqlite")
    if reason := database.unavailable():
        raise SystemExit(f"bench.retention: {reason}")
    runs = [
        build_run(name, Stack(name, database, opts.retention_env(name == "on"), logs), opts)
        for name in ("on", "off")
    ]
    try:
        await database.start()
        for run in runs:  # one at a time: migrations in one process do not run in parallel
            await run.stack.start()
        await asyncio.gather(*(run.warm_up() for run in runs))
        say(f"pools created; {opts.seconds:.0f} s of load, sampled every {opts.sample_every:g} s")
        await asyncio.gather(*(run.drive(opts) for run in runs))
    finally:
        for run in runs:
            await run.stack.stop()
        database.close()
    return runs


def main(argv: list[str] | None = None) -> int:
    opts = Options.parse(argv)
    quiet_logs()
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    logs = Path(tempfile.mkdtemp(prefix="alpes-bench-retention-"))
    on_env, off_env = (opts.retention_env(on) for on in (True, False))
    db = "PostgreSQL" if opts.postgres else "SQLite"
    say("bench.retention: storage and latency under sustained load, retention ON and OFF")
    say(f"machine: {machine()}")
    say(f"code: {git_state()}")
    say(
        f"each run: pulsar-lite + {db}, commands worker + relay processes; "
        f"{opts.rate:g} v2 commands/s for {opts.seconds:g} s ({opts.create_share:.0%} "
        f"crear-campana, the rest ajustar-presupuesto over {opts.pool:,} campaigns)"
    )
    say("ON: " + " ".join(f"{k}={v}" for k, v in on_env.items()))
    say("OFF: " + " ".join(f"{k}={v}" for k, v in off_env.items()))
    try:
        runs = asyncio.run(bench(opts, logs))
    except Exception as error:
        say(f"bench.retention: FAILED: {type(error).__name__}: {error}")
        say(f"worker logs kept in {logs}")
        return 1
    shutil.rmtree(logs, ignore_errors=True)

    results = [figures(run, env) for run, env in zip(runs, (on_env, off_env), strict=True)]
    say()
    for run, j in zip(runs, results, strict=True):
        settings = ", ".join(f"{k}={v}" for k, v in j["settings"].items())
        title = f"== retention {run.name.upper()} ({settings})"
        for line in samples_table(run, title):
            say(line)
        say()
    say("== summary (first third: the sample nearest a third of the load; end: the last)")
    for j in results:
        for line in summary(j):
            say(line)
    versus = comparison(*results)
    for line in comparison_lines(versus):
        say(line)
    say()
    for j in (*results, versus):
        say(json.dumps(j))
    sys.stdout.flush()
    return 0
