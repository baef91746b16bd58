"""``python -m bench.consume_profile``: the three parts, on a pulsar-lite of our own."""

from __future__ import annotations

import argparse
import asyncio

from adapters.pulsar import PULSAR_LITE
from bench.broker.settings import LITE, Settings, Target
from bench.common import machine, quiet_logs, say
from tests.support.servers.pulsar_lite import running_pulsar_lite

from . import __doc__ as DESCRIPTION
from .ablation import ablation
from .pieces import pieces
from .stages import pipeline


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.consume_profile", description=DESCRIPTION)
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    quiet_logs()
    s = Settings(
        messages=args.messages,
        size=args.size,
        repeats=args.repeats,
        concurrency=500,
        receiver_queue_size=1000,
        warmup=0,
        run_timeout=180.0,
        measurements=("consume",),
    )
    say(f"machine: {machine()}")
    with running_pulsar_lite() as lite:
        target = Target(LITE, lite.url, PULSAR_LITE, args.messages)
        asyncio.run(ablation(target, s))
        asyncio.run(pieces(target, s, max(args.messages, 20_000)))
        asyncio.run(pipeline(lite.url, s, max(args.messages, 20_000)))
    return 0
