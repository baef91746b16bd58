"""Sustained load at the offered rate, with the workers' memory sampled."""

from __future__ import annotations

import statistics

from adapters.database.engine import create_engine
from bench.common import say

from .commands import run_tag
from .latency import measure_latency
from .options import Options
from .probes import status_mb
from .publishing import publish_commands
from .results import ConfigResult, Soak
from .servers import BrokerServer, DatabaseServer
from .stats import percentile
from .workers import Workers, wait_done


async def run_soak(
    broker: BrokerServer, database: DatabaseServer, opts: Options, result: ConfigResult
) -> None:
    broker.fresh()
    db_url = await database.fresh()
    offered = opts.offered_rate or (
        0.5 * statistics.median(r.rate for r in result.pipeline) if result.pipeline else 1000.0
    )
    say(f"    soak: {opts.soak_seconds:.0f} s at {offered:,.0f} cmd/s offered ...")
    workers = Workers(broker, db_url, opts, f"{result.name}-soak")
    engine = create_engine(db_url)
    samples: list[tuple[float, float]] = []
    relay_samples: list[tuple[float, float]] = []
    next_sample = 0.0

    def sample(elapsed: float) -> None:
        nonlocal next_sample
        if elapsed >= next_sample:
            samples.append((elapsed, status_mb(workers.commands.pid)))
            relay_samples.append((elapsed, status_mb(workers.relay.pid)))
            say(
                f"      {elapsed:5.0f} s: commands worker RSS {samples[-1][1]:.1f} MB, "
                f"relay {relay_samples[-1][1]:.1f} MB"
            )
            next_sample += opts.soak_interval

    try:
        # Started and connected before the clock: the first sample is a warm worker.
        await publish_commands(broker.url, run_tag(), 100)
        await wait_done(engine, workers, 100, 120)
        lat = await measure_latency(
            broker, database, engine, workers, offered, opts.soak_seconds, on_sample=sample
        )
        samples.append((opts.soak_seconds, status_mb(workers.commands.pid)))
        relay_samples.append((opts.soak_seconds, status_mb(workers.relay.pid)))
    finally:
        await engine.dispose()
        workers.stop()
    await database.drop(db_url)
    per_minute: list[float] = []
    # The events arrive roughly in send order: split them into minutes of the run.
    per = max(1, int(offered * 60))
    for start in range(0, len(lat.e2e_ms), per):
        minute = lat.e2e_ms[start : start + per]
        if len(minute) >= per // 2:  # a short tail is not a minute
            per_minute.append(percentile(minute, 99))
    result.soak = Soak(
        seconds=opts.soak_seconds,
        offered=offered,
        achieved=lat.achieved,
        samples=samples,
        relay_samples=relay_samples,
        latency=lat,
        p99_by_minute=per_minute,
    )
    s = result.soak.as_json()
    say(
        f"    soak: worker RSS first {s['worker_rss_first_mb']} MB, last "
        f"{s['worker_rss_last_mb']} MB, max {s['worker_rss_max_mb']} MB, slope "
        f"{s['worker_rss_slope_mb_min']} MB/min (second half "
        f"{s['worker_rss_slope_second_half_mb_min']}); latency p50 {s['latency_p50_ms']} ms, "
        f"p99 {s['latency_p99_ms']} ms; p99 by minute {s['latency_p99_by_minute_ms']}"
    )
