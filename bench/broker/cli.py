"""``python -m bench.broker``: options, the brokers to run on, the report."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time

from adapters.pulsar import APACHE_PULSAR, PULSAR_LITE
from bench.common import exit_on_sigterm, machine, quiet_logs, say
from tests.support.servers.apache_pulsar import Standalone, StandaloneError, unavailable_reason
from tests.support.servers.pulsar_lite import running_pulsar_lite

from .results import Result, table
from .runs import bench_broker
from .settings import APACHE, LITE, MEASUREMENTS, Settings, Target

APACHE_URL_ENV = "ALPES_BENCH_APACHE_URL"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.broker",
        description="Throughput of the FastStream Pulsar adapter against raw pulsar.asyncio.",
    )
    p.add_argument("--messages", type=int, default=20_000, help="messages per run on pulsar-lite")
    p.add_argument(
        "--apache-messages", type=int, default=10_000, help="messages per run on Apache Pulsar"
    )
    p.add_argument("--size", type=int, default=256, help="payload bytes")
    p.add_argument("--repeats", type=int, default=3, help="runs per side and measurement")
    p.add_argument("--concurrency", type=int, default=500, help="publishes in flight")
    p.add_argument("--receiver-queue-size", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=1000, help="warm-up messages per path (0: none)")
    p.add_argument("--run-timeout", type=float, default=180.0, help="seconds allowed per run")
    p.add_argument(
        "--measurements",
        default=",".join(MEASUREMENTS),
        help=f"comma-separated subset of {','.join(MEASUREMENTS)}",
    )
    p.add_argument("--no-apache", action="store_true", help="pulsar-lite only")
    p.add_argument("--no-lite", action="store_true", help="Apache Pulsar only")
    p.add_argument(
        "--apache-start-timeout", type=float, default=180.0, help="seconds to wait for standalone"
    )
    args = p.parse_args(argv)
    chosen = tuple(m.strip() for m in args.measurements.split(",") if m.strip())
    unknown = set(chosen) - set(MEASUREMENTS)
    if unknown or not chosen:
        p.error(f"--measurements: unknown {sorted(unknown)}; choose from {MEASUREMENTS}")
    args.measurements = tuple(m for m in MEASUREMENTS if m in chosen)
    for name in ("messages", "apache_messages", "size", "repeats", "concurrency"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.concurrency > 1000:
        # The adapter sets its producer's pending queue to this bound as well.
        say("note: --concurrency above 1000 in flight is allowed but unusual")
    return args


def run_target(target: Target, s: Settings) -> list[Result]:
    say(
        f"\n== {target.name} ({target.url}): {target.messages} messages x {s.size} B, "
        f"{s.repeats} repeats, {s.concurrency} in flight"
    )
    started = time.monotonic()
    results = asyncio.run(bench_broker(target, s))
    say(f"  ({target.name} done in {time.monotonic() - started:.0f} s)")
    return results


class Notes(list[str]):
    """What the report says after the table; ``failed`` if a run failed."""

    failed = False

    def failure(self, text: str) -> list[Result]:
        self.failed = True
        self.append(text)
        say(text)
        return []


def on_lite(args: argparse.Namespace, s: Settings, notes: Notes) -> list[Result]:
    """The runs on a pulsar-lite of our own; a failure is noted, not raised."""
    try:
        with running_pulsar_lite() as lite:
            return run_target(Target(LITE, lite.url, PULSAR_LITE, args.messages), s)
    except Exception as e:  # report and go on to the other broker
        return notes.failure(f"{LITE}: FAILED: {type(e).__name__}: {e}")


def on_apache(args: argparse.Namespace, s: Settings, notes: Notes) -> list[Result]:
    """The runs on somebody else's Apache Pulsar (``ALPES_BENCH_APACHE_URL``: used, never
    stopped) or on a standalone of our own; a failure is noted, not raised."""
    if url := os.environ.get(APACHE_URL_ENV):
        target = Target(APACHE, url, APACHE_PULSAR, args.apache_messages)
        try:
            return run_target(target, s)
        except Exception as e:
            return notes.failure(
                f"{APACHE}: FAILED on {url} ({APACHE_URL_ENV}): {type(e).__name__}: {e}"
            )
    if reason := unavailable_reason(tools=("java",)):
        notes.append(f"{APACHE}: SKIPPED: {reason} (or set {APACHE_URL_ENV}=pulsar://...)")
        return []
    standalone = Standalone.private(start_timeout=args.apache_start_timeout)
    say(f"\nstarting Apache Pulsar standalone on {standalone.url} (data {standalone.data}) ...")
    t0 = time.monotonic()
    try:
        # The script may first fetch the runtime from Maven Central (once per machine).
        standalone.start(args.apache_start_timeout + 120)
    except StandaloneError as e:
        notes.append(f"{APACHE}: SKIPPED: {e}")
        say(notes[-1])
        remove(standalone)
        return []
    try:
        say(f"  ready in {time.monotonic() - t0:.0f} s")
        target = Target(APACHE, standalone.url, APACHE_PULSAR, args.apache_messages)
        return run_target(target, s)
    except Exception as e:
        return notes.failure(f"{APACHE}: FAILED: {type(e).__name__}: {e}")
    finally:
        remove(standalone)  # before the report, so nothing is printed after the JSON


def remove(standalone: Standalone) -> None:
    try:
        standalone.remove()
    except StandaloneError as e:
        say(f"warning: {e}; files left in {standalone.data}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_logs()
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    s = Settings(
        messages=args.messages,
        size=args.size,
        repeats=args.repeats,
        concurrency=args.concurrency,
        receiver_queue_size=args.receiver_queue_size,
        warmup=args.warmup,
        run_timeout=args.run_timeout,
        measurements=args.measurements,
    )
    say("bench.broker: FastStream Pulsar adapter vs raw pulsar.asyncio")
    say(f"machine: {machine()}")
    notes = Notes()
    results = [] if args.no_lite else on_lite(args, s, notes)
    if args.no_apache:
        notes.append(f"{APACHE}: skipped (--no-apache)")
    else:
        results += on_apache(args, s, notes)

    say("\n== results (medians; ratio = adapter / raw)")
    for row in table(results):
        say(row)
    for note in notes:
        say(note)
    say()
    for r in results:
        say(json.dumps(r.as_json()))
    sys.stdout.flush()
    return 1 if notes.failed or not results else 0
