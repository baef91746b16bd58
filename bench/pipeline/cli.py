"""``python -m bench.pipeline``: both configurations, the tables, the JSON lines."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from bench.common import exit_on_sigterm, machine, quiet_logs, say

from .config import bench_config
from .options import CONFIGS, Options, parse_args
from .report import git_state, report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_logs()
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    logs = Path(tempfile.mkdtemp(prefix="alpes-bench-pipeline-logs-"))
    opts = Options.from_args(args, logs)
    names = list(CONFIGS) if args.config == "both" else [args.config]
    say("bench.pipeline: the service end to end (commands worker + relay processes)")
    say(f"machine: {machine()}")
    say(
        f"code: {git_state()}; worker settings: defaults{' + ' if opts.worker_env else ''}"
        + " ".join(f"{k}={v}" for k, v in opts.worker_env.items())
    )
    results = [asyncio.run(bench_config(name, opts)) for name in names]

    say("\n== results")
    for r in results:
        for line in report(r):
            say(line)
    if not any(r.failed for r in results) and not opts.profile:
        shutil.rmtree(logs, ignore_errors=True)
    else:
        say(f"worker logs and profiles kept in {logs}")
    say()
    for r in results:
        if r.pipeline:
            say(json.dumps(r.as_json()))
    sys.stdout.flush()
    return 1 if any(r.failed or not r.complete for r in results) else 0
