"""The options of ``python -m bench.retention``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    seconds: float
    rate: float
    sample_every: float
    create_share: float
    pool: int
    postgres: bool
    outbox_retention: str
    command_log_retention: str
    purge_interval: str

    @classmethod
    def parse(cls, argv: list[str] | None) -> Options:
        p = argparse.ArgumentParser(
            prog="python -m bench.retention",
            description="Storage and latency under sustained load, retention on against off.",
        )
        p.add_argument("--seconds", type=float, default=300.0, help="load duration")
        p.add_argument("--rate", type=float, default=200.0, help="commands/s, each run")
        p.add_argument(
            "--sample-every",
            type=float,
            default=15.0,
            help="seconds; well under the ON run's command-log retention, which deletes the "
            "processed_at each sample reads",
        )
        p.add_argument(
            "--create-share",
            type=float,
            default=0.1,
            help="share of crear-campana (new campaigns); the rest adjust a pool campaign's "
            "budget (1: all crear-campana, the campaigns table then grows with the load)",
        )
        p.add_argument("--pool", type=int, default=1000, help="campaigns created first")
        p.add_argument("--postgres", action="store_true", help="PostgreSQL, not SQLite")
        p.add_argument("--outbox-retention", default="20s", help="the ON run's")
        p.add_argument("--command-log-retention", default="40s", help="the ON run's")
        p.add_argument(
            "--purge-interval", default="10s", help="the ON run's ALPES_RETENTION_INTERVAL"
        )
        args = p.parse_args(argv)
        if args.seconds < 3 * args.sample_every:
            p.error("--seconds must be at least three --sample-every periods")
        if args.rate <= 0 or args.sample_every <= 0 or args.pool < 1:
            p.error("--rate and --sample-every must be > 0, --pool >= 1")
        if not 0 <= args.create_share <= 1:
            p.error("--create-share must be between 0 and 1")
        return cls(**vars(args))

    def retention_env(self, on: bool) -> dict[str, str]:
        """The workers' retention settings of the ON or the OFF run."""
        if not on:
            return {"ALPES_OUTBOX_RETENTION": "off", "ALPES_COMMAND_LOG_RETENTION": "off"}
        return {
            "ALPES_OUTBOX_RETENTION": self.outbox_retention,
            "ALPES_COMMAND_LOG_RETENTION": self.command_log_retention,
            "ALPES_RETENTION_INTERVAL": self.purge_interval,
        }
