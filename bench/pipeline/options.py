"""The options of ``python -m bench.pipeline``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

CONFIGS = {"lite-sqlite": ("lite", "sqlite"), "apache-pg": ("apache", "postgresql")}


@dataclass(frozen=True)
class Options:
    commands: int
    naive_commands: int
    repeats: int
    latency_seconds: float
    offered_rate: float | None
    soak_seconds: float
    soak_interval: float
    profile: bool
    profile_commands: int
    profile_dir: Path
    run_timeout: float
    apache_start_timeout: float
    worker_env: dict[str, str]
    logs: Path
    observed: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace, logs: Path) -> Options:
        """The options parse_args() read; worker logs (and by default profiles) in ``logs``."""
        return cls(
            commands=args.commands,
            naive_commands=args.naive_commands,
            repeats=args.repeats,
            latency_seconds=args.latency_seconds,
            offered_rate=args.offered_rate,
            soak_seconds=args.soak_seconds,
            soak_interval=args.soak_interval,
            profile=args.profile,
            profile_commands=args.profile_commands,
            profile_dir=args.profile_dir or logs / "profile",
            run_timeout=args.run_timeout,
            apache_start_timeout=args.apache_start_timeout,
            worker_env=dict(item.split("=", 1) for item in args.worker_env),
            logs=logs,
            observed=args.observed,
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.pipeline",
        description="The service's throughput, latency and memory against its baselines.",
    )
    p.add_argument("--config", choices=(*CONFIGS, "both"), default="both")
    p.add_argument("--commands", type=int, default=20_000, help="backlog per pipeline run")
    p.add_argument("--naive-commands", type=int, default=2_000, help="backlog per naive run")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--latency-seconds", type=float, default=20.0, help="0: no latency run")
    p.add_argument(
        "--offered-rate",
        type=float,
        default=None,
        help="cmd/s for latency and soak (default: half the first pipeline run)",
    )
    p.add_argument("--soak-seconds", type=float, default=0.0, help="e.g. 300 (0: no soak)")
    p.add_argument("--soak-interval", type=float, default=10.0, help="RSS sampling period (s)")
    p.add_argument("--profile", action="store_true", help="one more run under py-spy")
    p.add_argument(
        "--profile-commands", type=int, default=60_000, help="backlog of the profiled run"
    )
    p.add_argument("--profile-dir", type=Path, default=None, help="where py-spy's stacks go")
    p.add_argument("--run-timeout", type=float, default=600.0, help="seconds per timed run")
    p.add_argument("--apache-start-timeout", type=float, default=180.0)
    p.add_argument(
        "--worker-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the workers, e.g. ALPES_COMMAND_CONCURRENCY=512, "
        "ALPES_METRICS_PORT=0 (metrics on any free port), OTEL_TRACES_EXPORTER=console "
        "(traces; the workers' stdout goes nowhere)",
    )
    p.add_argument(
        "--observed",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="one more v2 run per repeat with metrics (ALPES_METRICS_PORT=0) and traces "
        "(OTLP/HTTP to a local sink) on, against the plain v2 run",
    )
    args = p.parse_args(argv)
    for name in ("commands", "naive_commands", "repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    for item in args.worker_env:
        if "=" not in item or not item.startswith(("ALPES_", "OTEL_")):
            p.error(f"--worker-env {item!r}: expected ALPES_NAME=VALUE or OTEL_NAME=VALUE")
    return args
