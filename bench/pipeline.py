"""The service end to end: throughput, latency and memory of the real worker processes,
against a one-at-a-time baseline and the raw speed of the broker and of the database.

Run from the repository root (``make bench``)::

    python -m bench.pipeline                          # both configurations
    python -m bench.pipeline --config lite-sqlite --repeats 1
    python -m bench.pipeline --config lite-sqlite --soak-seconds 300
    python -m bench.pipeline --config lite-sqlite --profile   # py-spy profile of the workers

Configurations: ``lite-sqlite`` (pulsar-lite + SQLite, the embedded default) and
``apache-pg`` (Apache Pulsar standalone + PostgreSQL, both private: free ports,
temporary data directories, stopped and removed at the end).

For each configuration and repeat:

* ``pipeline_cmd_s``: N ``crear-campana`` commands are published first (the backlog;
  raw producer, batching on), then ``alpes worker run commands`` and ``alpes worker run
  relay`` start as separate processes on a fresh, migrated database. Timed from the
  first command_log row (its ``processed_at``) to the last outbox row's ``published_at``,
  once every command is logged and every event published.
* latency: with those workers still running, commands at a fixed offered rate (half the
  first repeat's pipeline_cmd_s unless ``--offered-rate``), each with a ``sent_at``
  property; a plain consumer of ``campana-creada`` computes receive time - sent_at.
* ``naive_cmd_s``: ``bench.naive`` (one message at a time: receive, one commit, a
  synchronous event send, ack) in its own process on a smaller backlog.
* ``raw_consume_msg_s``: raw pulsar-client receive + ack of N messages of the same size
  (``bench.broker``'s raw consume).
* ``raw_db_rows_s``: the rows the pipeline wrote (a campaign, an outbox row and a
  command_log row per command) inserted again into a fresh database with SQLAlchemy Core
  executemany, 500 commands per transaction. Unit: commands (row triples) per second.
* ``worker_rss_mb``: peak RSS (VmHWM) of the commands worker, read before it stops.

The pipeline and the naive run alternate (P N, N P, ...); figures are medians. The last
lines of the output are one JSON object per configuration; nothing is printed after them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.database.engine import create_engine

from . import broker as b
from . import pipeline_support as ps
from .broker import say
from .pipeline_support import BenchError

CONFIGS = {"lite-sqlite": ("lite", "sqlite"), "apache-pg": ("apache", "postgresql")}
RAW_DB_BATCH = 500


# ------------------------------------------------------------------ options ---


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


# ------------------------------------------------------------------ results ---


@dataclass
class PipelineRun:
    rate: float  # from the rows' timestamps
    wall_rate: float  # from polling the counts
    seconds: float
    batches: int
    publish_rate: float
    cpu: dict[str, Any]
    code: str = ""
    worker_hwm_mb: float = 0.0
    relay_hwm_mb: float = 0.0


@dataclass
class LatencyRun:
    offered: float
    achieved: float
    sent: int
    received: int
    e2e_ms: list[float]
    to_processed_ms: list[float]
    to_event_ms: list[float]
    failures: int
    cpu: dict[str, Any]

    def pct(self, which: str, q: float) -> float:
        values: list[float] = getattr(self, which)
        return ps.percentile(values, q)


@dataclass
class Soak:
    seconds: float
    offered: float
    achieved: float
    samples: list[tuple[float, float]]  # (seconds since start, worker RSS MB)
    relay_samples: list[tuple[float, float]]
    latency: LatencyRun
    p99_by_minute: list[float]

    def as_json(self) -> dict[str, Any]:
        rss = [v for _, v in self.samples]
        half = self.samples[len(self.samples) // 2 :]
        return {
            "seconds": round(self.seconds),
            "offered_cmd_s": round(self.offered, 1),
            "achieved_cmd_s": round(self.achieved, 1),
            "worker_rss_first_mb": round(rss[0], 1) if rss else None,
            "worker_rss_last_mb": round(rss[-1], 1) if rss else None,
            "worker_rss_max_mb": round(max(rss), 1) if rss else None,
            "worker_rss_slope_mb_min": round(ps.slope_per_minute(self.samples), 3),
            "worker_rss_slope_second_half_mb_min": round(ps.slope_per_minute(half), 3),
            "relay_rss_last_mb": round(self.relay_samples[-1][1], 1)
            if self.relay_samples
            else None,
            "relay_rss_slope_mb_min": round(ps.slope_per_minute(self.relay_samples), 3),
            "relay_rss_slope_second_half_mb_min": round(
                ps.slope_per_minute(self.relay_samples[len(self.relay_samples) // 2 :]), 3
            ),
            "latency_p50_ms": round(self.latency.pct("e2e_ms", 50), 1),
            "latency_p99_ms": round(self.latency.pct("e2e_ms", 99), 1),
            "latency_p99_by_minute_ms": [round(v, 1) for v in self.p99_by_minute],
            "rss_samples_mb": [round(v, 1) for _, v in self.samples],
        }


@dataclass
class ConfigResult:
    name: str
    broker: str
    database: str
    commands: int
    naive_commands: int
    pipeline: list[PipelineRun] = field(default_factory=list)
    pipeline_v2: list[PipelineRun] = field(default_factory=list)
    latency: list[LatencyRun] = field(default_factory=list)
    naive: list[float] = field(default_factory=list)
    raw_consume: list[float] = field(default_factory=list)
    raw_db: list[float] = field(default_factory=list)
    soak: Soak | None = None
    profile: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed: bool = False

    @property
    def complete(self) -> bool:
        return bool(self.pipeline and self.naive and self.raw_consume and self.raw_db)

    def cpu_per_command(self) -> dict[str, float]:
        """Median CPU microseconds per command over the pipeline runs: each process, the
        commands worker's event-loop thread and other threads, the whole machine."""

        def median_us(group: str, key: str) -> float:
            values: list[float] = [
                (r.cpu["machine_s"] if group == "machine" else r.cpu[group].get(key, 0.0))
                / self.commands
                * 1e6
                for r in self.pipeline
            ]
            return statistics.median(values)

        out = {
            "commands worker": median_us("processes", "commands worker"),
            "  its event-loop thread": median_us("threads", "main"),
            "  its other threads": median_us("threads", "other"),
        }
        for name in ("relay", "broker", "database", "bench", "rest of machine"):
            if any(name in r.cpu["processes"] for r in self.pipeline):
                out[name] = median_us("processes", name)
        out["machine, all cores"] = median_us("machine", "")
        return out

    def as_json(self) -> dict[str, Any]:
        def med(values: list[float]) -> float | None:
            return round(statistics.median(values), 1) if values else None

        pipeline = med([r.rate for r in self.pipeline])
        pipeline_v2 = med([r.rate for r in self.pipeline_v2])
        naive = med(self.naive)
        lat = self.latency
        out: dict[str, Any] = {
            "config": self.name,
            "broker": self.broker,
            "database": self.database,
            "commands": self.commands,
            "repeats": len(self.pipeline),
            "pipeline_cmd_s": pipeline,
            "pipeline_v2_cmd_s": pipeline_v2,
            "ratio_v2_vs_v1": round(pipeline_v2 / pipeline, 2)
            if pipeline and pipeline_v2
            else None,
            "latency_p50_ms": med([r.pct("e2e_ms", 50) for r in lat]),
            "latency_p99_ms": med([r.pct("e2e_ms", 99) for r in lat]),
            "naive_cmd_s": naive,
            "ratio_vs_naive": round(pipeline / naive, 2) if pipeline and naive else None,
            "raw_consume_msg_s": med(self.raw_consume),
            "raw_db_rows_s": med(self.raw_db),
            "worker_rss_mb": round(max(r.worker_hwm_mb for r in self.pipeline), 1)
            if self.pipeline
            else None,
            "relay_rss_mb": round(max(r.relay_hwm_mb for r in self.pipeline), 1)
            if self.pipeline
            else None,
            "pipeline_runs_cmd_s": [round(r.rate, 1) for r in self.pipeline],
            "pipeline_v2_runs_cmd_s": [round(r.rate, 1) for r in self.pipeline_v2],
            "code": sorted({r.code for r in self.pipeline}),
            "pipeline_wall_cmd_s": med([r.wall_rate for r in self.pipeline]),
            "average_batch": med([self.commands / r.batches for r in self.pipeline if r.batches]),
            "latency_offered_cmd_s": med([r.offered for r in lat]),
            "latency_achieved_cmd_s": med([r.achieved for r in lat]),
            "latency_p90_ms": med([r.pct("e2e_ms", 90) for r in lat]),
            "latency_max_ms": med([max(r.e2e_ms) for r in lat if r.e2e_ms]),
            "latency_to_committed_p50_ms": med([r.pct("to_processed_ms", 50) for r in lat]),
            "latency_to_committed_p99_ms": med([r.pct("to_processed_ms", 99) for r in lat]),
            "latency_to_event_sent_p50_ms": med([r.pct("to_event_ms", 50) for r in lat]),
            "latency_to_event_sent_p99_ms": med([r.pct("to_event_ms", 99) for r in lat]),
            "pipeline_other_load_cores": med([other_load(r.cpu) for r in self.pipeline]),
            "pipeline_worker_cpu_wait_pct": med([cpu_wait_pct(r.cpu) for r in self.pipeline]),
            "latency_other_load_cores": med([other_load(r.cpu) for r in lat]),
            "latency_worker_cpu_wait_pct": med([cpu_wait_pct(r.cpu) for r in lat]),
            "naive_commands": self.naive_commands,
            "naive_runs_cmd_s": [round(v, 1) for v in self.naive],
            "raw_consume_runs_msg_s": [round(v, 1) for v in self.raw_consume],
            "raw_db_runs_rows_s": [round(v, 1) for v in self.raw_db],
            "cpu_us_per_cmd": {k.strip(): round(v, 1) for k, v in self.cpu_per_command().items()}
            if self.pipeline
            else {},
        }
        if self.soak is not None:
            out["soak"] = self.soak.as_json()
        return out


def other_load(cpu: dict[str, Any]) -> float:
    """Cores used by processes that are not part of the benchmark, on average."""
    return float(cpu["processes"].get("rest of machine", 0.0)) / (cpu["wall_s"] or 1.0)


def cpu_wait_pct(cpu: dict[str, Any]) -> float:
    """Share of the time the commands worker's event loop was runnable but had no CPU."""
    return 100 * float(cpu["run_queue_wait_s"].get("commands worker", 0.0)) / (cpu["wall_s"] or 1.0)


# ----------------------------------------------------------------- phases ---


class Workers:
    """The commands worker and the relay, as separate ``alpes worker run`` processes."""

    def __init__(
        self, broker: ps.BrokerServer, database_url: str, opts: Options, label: str
    ) -> None:
        env = ps.worker_env(broker, database_url, opts.worker_env)
        self.commands = ps.WorkerProcess("commands", env, opts.logs / f"{label}-commands.log")
        self.relay = ps.WorkerProcess("relay", env, opts.logs / f"{label}-relay.log")

    def check(self) -> None:
        self.commands.check_alive()
        self.relay.check_alive()

    def stop(self) -> None:
        codes = (self.commands.stop(), self.relay.stop())
        if any(code not in (0, None) for code in codes):
            say(f"    note: workers exited with {codes}")


async def wait_first_row(engine: Any, workers: Workers, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (await ps.progress(engine))[0] == 0:
        workers.check()
        if time.monotonic() > deadline:
            raise BenchError(f"no command applied within {timeout:g}s of starting the workers")
        await asyncio.sleep(0.01)


async def wait_done(engine: Any, workers: Workers, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        done, pending = await ps.progress(engine)
        if done >= n and pending == 0:
            return
        workers.check()
        if time.monotonic() > deadline:
            raise BenchError(f"after {timeout:g}s: {done} of {n} commands, {pending} unpublished")
        await asyncio.sleep(0.05)


def pids(
    broker: ps.BrokerServer, database: ps.DatabaseServer, workers: Workers
) -> dict[str, int | None]:
    return {
        "commands worker": workers.commands.pid,
        "relay": workers.relay.pid,
        "broker": broker.pid,
        "database": database.pid,
    }


async def run_pipeline(
    broker: ps.BrokerServer,
    database: ps.DatabaseServer,
    opts: Options,
    result: ConfigResult,
    repeat: int,
    contract: int = 1,
) -> None:
    """Backlog (on the contract version's command topic), workers, throughput; for v1,
    then latency at the offered rate and the raw database insert of the same rows."""
    n = opts.commands
    db_url = await database.fresh()
    tag = ps.run_tag()
    publish_rate = await ps.publish_commands(broker.url, tag, n, contract=contract)
    code = git_state()  # the workers import the code as it is now
    workers = Workers(broker, db_url, opts, f"{result.name}-{repeat + 1}")
    engine = create_engine(db_url)
    try:
        await wait_first_row(engine, workers, 60)
        first_seen = time.monotonic()
        cpu0 = ps.cpu_snapshot(pids(broker, database, workers), workers.commands.pid)
        await wait_done(engine, workers, n, opts.run_timeout)
        wall = time.monotonic() - first_seen
        cpu1 = ps.cpu_snapshot(pids(broker, database, workers), workers.commands.pid)
        t = await ps.timings(engine, tag)
        if t.rows != n:
            raise BenchError(f"{t.rows} command_log rows for {n} commands")
        seconds = t.last_published - t.first_processed
        run = PipelineRun(
            rate=(n - t.first_batch) / seconds,
            wall_rate=n / wall,
            seconds=seconds,
            batches=t.batches,
            publish_rate=publish_rate,
            cpu=ps.cpu_between(cpu0, cpu1),
            code=code,
        )
        say(
            f"    pipeline{'' if contract == 1 else ' v2'}   run {repeat + 1}: "
            f"{run.rate:>8,.0f} cmd/s  ({n} commands in "
            f"{seconds:.2f} s; polled {run.wall_rate:,.0f}/s; {t.batches} batches, "
            f"avg {n / t.batches:.0f}; backlog published at {publish_rate:,.0f}/s)"
        )
        say("               " + cpu_line(run.cpu, n))
        if opts.latency_seconds > 0 and contract == 1:
            offered = opts.offered_rate or (
                0.5 * result.pipeline[0].rate if result.pipeline else 0.5 * run.rate
            )
            lat = await measure_latency(
                broker, database, engine, workers, offered, opts.latency_seconds
            )
            result.latency.append(lat)
            say(
                f"    latency    run {repeat + 1}: p50 {lat.pct('e2e_ms', 50):.1f} ms, "
                f"p99 {lat.pct('e2e_ms', 99):.1f} ms, max {max(lat.e2e_ms, default=0):.0f} ms "
                f"at {lat.offered:,.0f} cmd/s offered ({lat.achieved:,.0f} achieved, "
                f"{lat.received}/{lat.sent} events); committed p50/p99 "
                f"{lat.pct('to_processed_ms', 50):.1f}/{lat.pct('to_processed_ms', 99):.1f} ms, "
                f"event sent p50/p99 {lat.pct('to_event_ms', 50):.1f}/"
                f"{lat.pct('to_event_ms', 99):.1f} ms"
            )
            say("               " + contention(lat.cpu))
        run.worker_hwm_mb = workers.commands.memory_mb("VmHWM")
        run.relay_hwm_mb = workers.relay.memory_mb("VmHWM")
        say(
            f"               peak RSS: commands worker {run.worker_hwm_mb:.0f} MB, "
            f"relay {run.relay_hwm_mb:.0f} MB"
        )
        (result.pipeline if contract == 1 else result.pipeline_v2).append(run)
    finally:
        await engine.dispose()
        workers.stop()
    if contract == 2:  # the baselines are measured once, against the v1 run
        await database.drop(db_url)
        return

    rows = await ps.read_rows(db_url, tag)
    target = await database.fresh()
    rate = await ps.insert_rows(target, rows, RAW_DB_BATCH)
    result.raw_db.append(rate)
    say(
        f"    raw db     run {repeat + 1}: {rate:>8,.0f} commands/s ({len(rows)} x (campaign + "
        f"outbox + command_log), executemany, {RAW_DB_BATCH} per transaction)"
    )
    await database.drop(target)
    await database.drop(db_url)


def cpu_line(cpu: dict[str, Any], n: int) -> str:
    """CPU microseconds per command of each process over the timed window."""
    procs: dict[str, float] = cpu["processes"]
    parts = [f"{k} {v / n * 1e6:,.0f}" for k, v in procs.items() if v > 0]
    threads: dict[str, float] = cpu["threads"]
    main = threads.get("main", 0.0)
    return (
        f"CPU us/command: {', '.join(parts)} (worker event loop {main / n * 1e6:,.0f}); "
        + contention(cpu)
    )


def contention(cpu: dict[str, Any]) -> str:
    """How busy the machine was, and how long the worker's event loop waited for a CPU."""
    wall = cpu["wall_s"] or 1.0
    return (
        f"machine busy {cpu['machine_s'] / wall:.2f} of {os.cpu_count()} cores, other load "
        f"{other_load(cpu):.2f} cores; worker event loop waited for a CPU "
        f"{cpu_wait_pct(cpu):.0f} % of the time"
    )


async def measure_latency(
    broker: ps.BrokerServer,
    database: ps.DatabaseServer,
    engine: Any,
    workers: Workers,
    offered: float,
    seconds: float,
    on_sample: Any = None,
) -> LatencyRun:
    listener = ps.EventListener(broker.url)
    await listener.start()
    paced = ps.Paced(tag=ps.run_tag(), rate=offered)
    listener.follow(paced)
    try:
        cpu0 = ps.cpu_snapshot(pids(broker, database, workers), workers.commands.pid)
        started = time.monotonic()
        publishing = asyncio.create_task(ps.paced_publish(broker.url, paced, seconds))
        while not publishing.done():
            workers.check()
            if on_sample is not None:
                on_sample(time.monotonic() - started)
            await asyncio.wait({publishing}, timeout=1.0)
        await publishing
        await listener.wait_for(len(paced.sent_at), timeout=60)
        took = time.monotonic() - started
        cpu = ps.cpu_between(
            cpu0, ps.cpu_snapshot(pids(broker, database, workers), workers.commands.pid)
        )
        processed = await ps.processed_at(engine, paced.tag)
    finally:
        await listener.stop()
    lat = listener.latencies
    to_processed = [
        (at - paced.sent_at[i]) * 1000 for i, at in processed.items() if i < len(paced.sent_at)
    ]
    return LatencyRun(
        offered=offered,
        achieved=lat.received / took if took else 0.0,
        sent=len(paced.sent_at),
        received=lat.received,
        e2e_ms=[v * 1000 for v in lat.end_to_end],
        to_processed_ms=to_processed,
        to_event_ms=[v * 1000 for v in lat.to_event_publish],
        failures=paced.failures,
        cpu=cpu,
    )


async def run_naive(
    broker: ps.BrokerServer,
    database: ps.DatabaseServer,
    opts: Options,
    result: ConfigResult,
    repeat: int,
) -> None:
    db_url = await database.fresh()
    topic = f"persistent://public/default/bench-naive-{uuid.uuid4().hex[:10]}"
    tag = ps.run_tag()
    await ps.publish_commands(broker.url, tag, opts.naive_commands, topic=topic)
    command = [
        sys.executable,
        "-m",
        "bench.naive",
        "--pulsar-url",
        broker.url,
        "--database-url",
        db_url,
        "--topic",
        topic,
        "--count",
        str(opts.naive_commands),
    ]
    done = await asyncio.to_thread(
        subprocess.run,
        command,
        cwd=ps.ROOT,
        capture_output=True,
        text=True,
        timeout=opts.run_timeout,
        check=False,
    )
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise BenchError(f"bench.naive failed ({done.returncode}): {tail}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    rate = float(report["naive_cmd_s"])
    result.naive.append(rate)
    say(
        f"    naive      run {repeat + 1}: {rate:>8,.0f} cmd/s  ({opts.naive_commands} commands "
        f"one at a time; peak RSS {report['rss_peak_mb']:.0f} MB)"
    )
    await database.drop(db_url)


async def run_raw_consume(
    broker: ps.BrokerServer, opts: Options, result: ConfigResult, repeat: int
) -> None:
    size = len(ps.command_body(ps.campaign_id(ps.run_tag(), opts.commands)))
    settings = b.Settings(
        messages=opts.commands,
        size=size,
        repeats=1,
        concurrency=500,
        receiver_queue_size=1000,
        warmup=0,
        run_timeout=opts.run_timeout,
        measurements=("consume",),
    )
    target = b.Target(broker.name, broker.url, broker.capabilities, opts.commands)
    topic = b.fresh_topic(broker.name, "pipeline-raw")
    await b.raw_publish(target, settings, topic, opts.commands)
    rate = await asyncio.wait_for(
        b.raw_consume(target, settings, topic, opts.commands), opts.run_timeout
    )
    result.raw_consume.append(rate)
    say(
        f"    raw consume run {repeat + 1}: {rate:>7,.0f} msg/s ({opts.commands} x {size} B, "
        "receive + ack)"
    )


async def run_soak(
    broker: ps.BrokerServer, database: ps.DatabaseServer, opts: Options, result: ConfigResult
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
            samples.append((elapsed, workers.commands.memory_mb()))
            relay_samples.append((elapsed, workers.relay.memory_mb()))
            say(
                f"      {elapsed:5.0f} s: commands worker RSS {samples[-1][1]:.1f} MB, "
                f"relay {relay_samples[-1][1]:.1f} MB"
            )
            next_sample += opts.soak_interval

    try:
        # Started and connected before the clock: the first sample is a warm worker.
        await ps.publish_commands(broker.url, ps.run_tag(), 100)
        await wait_done(engine, workers, 100, 120)
        lat = await measure_latency(
            broker, database, engine, workers, offered, opts.soak_seconds, on_sample=sample
        )
        samples.append((opts.soak_seconds, workers.commands.memory_mb()))
        relay_samples.append((opts.soak_seconds, workers.relay.memory_mb()))
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
            per_minute.append(ps.percentile(minute, 99))
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


async def run_profile(
    broker: ps.BrokerServer, database: ps.DatabaseServer, opts: Options, result: ConfigResult
) -> None:
    """One more pipeline run (not counted) with py-spy sampling both workers."""
    spy = ps.py_spy()
    if spy is None:
        result.notes.append("profile skipped: py-spy not found (pip install py-spy)")
        say(f"    {result.notes[-1]}")
        return
    broker.fresh()
    n = opts.profile_commands
    db_url = await database.fresh()
    tag = ps.run_tag()
    await ps.publish_commands(broker.url, tag, n)
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
            spies.append(ps.start_py_spy(spy, proc.pid, outputs[name]))
        await wait_done(engine, workers, n, opts.run_timeout)
        took = time.monotonic() - started
    finally:
        await asyncio.to_thread(ps.stop_py_spy, spies)
        await engine.dispose()
        workers.stop()
    await database.drop(db_url)
    lines = [
        f"py-spy (100 Hz, non-blocking) on {result.name}, {n} commands in {took:.1f} s "
        f"under the profiler ({n / took:,.0f} cmd/s); raw stacks in {opts.profile_dir}",
        "commands worker:",
        *ps.summarize_profile(outputs["commands"], ps.COMMAND_STAGES),
        "relay:",
        *ps.summarize_profile(outputs["relay"], ps.RELAY_STAGES),
    ]
    result.profile = lines
    for line in lines:
        say(f"    {line}")


async def bench_config(name: str, opts: Options) -> ConfigResult:
    broker_kind, db_kind = CONFIGS[name]
    broker = ps.BrokerServer(broker_kind, opts.apache_start_timeout)
    database = ps.DatabaseServer(db_kind)
    result = ConfigResult(name, broker.name, database.name, opts.commands, opts.naive_commands)
    say(
        f"\n== {name}: {broker.name} + {database.name}; {opts.commands} commands per pipeline "
        f"run, {opts.naive_commands} naive, {opts.repeats} repeats"
    )
    reason = broker.unavailable() or database.unavailable()
    if reason:
        result.notes.append(f"{name}: SKIPPED: {reason}")
        say(result.notes[-1])
        return result
    started = time.monotonic()
    try:
        await database.start()
        for repeat in range(opts.repeats):
            broker.fresh()
            # The baselines and the v2 run alternate around the v1 run, so no phase
            # always gets the quieter (or busier) moment of the repeat.
            phases = ["pipeline", "pipeline-v2", "naive"]
            order = phases if repeat % 2 == 0 else phases[::-1]
            for phase in order:
                if phase == "pipeline":
                    await run_pipeline(broker, database, opts, result, repeat)
                elif phase == "pipeline-v2":
                    await run_pipeline(broker, database, opts, result, repeat, contract=2)
                else:
                    await run_naive(broker, database, opts, result, repeat)
            await run_raw_consume(broker, opts, result, repeat)
        if opts.soak_seconds > 0:
            await run_soak(broker, database, opts, result)
        if opts.profile:
            await run_profile(broker, database, opts, result)
    except Exception as e:  # report it and go on with the other configuration
        result.failed = True
        result.notes.append(f"{name}: FAILED: {type(e).__name__}: {e}")
        say(result.notes[-1])
    finally:
        broker.close()
        database.close()
    say(f"  ({name} done in {time.monotonic() - started:.0f} s)")
    return result


# ------------------------------------------------------------------ report ---


def report(result: ConfigResult) -> list[str]:
    j = result.as_json()
    out = [f"{result.name}: {result.broker} + {result.database} (medians of {j['repeats']})"]

    def row(label: str, value: Any, detail: str = "") -> None:
        text = "-" if value is None else (f"{value:,.1f}" if isinstance(value, float) else value)
        out.append(f"  {label:<34} {text:>10}   {detail}")

    row("pipeline_cmd_s", j["pipeline_cmd_s"], f"v1 topic; runs {j['pipeline_runs_cmd_s']}")
    v2_runs = j["pipeline_v2_runs_cmd_s"]
    row("pipeline_v2_cmd_s", j["pipeline_v2_cmd_s"], f"v2 stream; runs {v2_runs}")
    row("  ratio v2 / v1", j["ratio_v2_vs_v1"])
    row("  polled cross-check (cmd/s)", j["pipeline_wall_cmd_s"])
    row("  average batch (commands)", j["average_batch"])
    row(
        "latency_p50_ms",
        j["latency_p50_ms"],
        f"at {j['latency_offered_cmd_s'] or 0:,.0f} cmd/s offered, "
        f"{j['latency_achieved_cmd_s'] or 0:,.0f} achieved",
    )
    row(
        "latency_p99_ms",
        j["latency_p99_ms"],
        f"p90 {j['latency_p90_ms']}, max {j['latency_max_ms']}",
    )
    row(
        "  sent -> committed p50 / p99 (ms)",
        j["latency_to_committed_p50_ms"],
        f"/ {j['latency_to_committed_p99_ms']}",
    )
    row(
        "  sent -> event sent p50 / p99 (ms)",
        j["latency_to_event_sent_p50_ms"],
        f"/ {j['latency_to_event_sent_p99_ms']}",
    )
    row(
        "  other load on the machine (cores)",
        j["pipeline_other_load_cores"],
        f"pipeline; {j['latency_other_load_cores']} during latency runs",
    )
    row(
        "  worker loop waiting for a CPU (%)",
        j["pipeline_worker_cpu_wait_pct"],
        f"pipeline; {j['latency_worker_cpu_wait_pct']} during latency runs",
    )
    row("naive_cmd_s", j["naive_cmd_s"], f"runs {j['naive_runs_cmd_s']}")
    row("ratio_vs_naive", j["ratio_vs_naive"])
    row("raw_consume_msg_s", j["raw_consume_msg_s"], f"runs {j['raw_consume_runs_msg_s']}")
    row("raw_db_rows_s (row triples/s)", j["raw_db_rows_s"], f"runs {j['raw_db_runs_rows_s']}")
    row("worker_rss_mb (peak)", j["worker_rss_mb"], f"relay {j['relay_rss_mb']} MB")
    if j["cpu_us_per_cmd"]:
        out.append("  CPU per command (us, median):")
        for k, v in j["cpu_us_per_cmd"].items():
            out.append(f"    {k:<36} {v:>8,.0f}")
    if "soak" in j:
        s = j["soak"]
        row(
            "soak worker RSS first/last/max MB",
            f"{s['worker_rss_first_mb']}/{s['worker_rss_last_mb']}/{s['worker_rss_max_mb']}",
            f"slope {s['worker_rss_slope_mb_min']} MB/min over {s['seconds']} s",
        )
        row("soak latency p50 / p99 ms", f"{s['latency_p50_ms']}/{s['latency_p99_ms']}")
    if len(j["code"]) > 1:
        out.append(f"  note: the code changed between runs: {j['code']}")
    out += [f"  {note}" for note in result.notes]
    return out


def git_state() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ps.ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            # What the workers run: changes to the benchmark, docs and tests do not count.
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!bench",
                ":!docs",
                ":!tests",
            ],
            cwd=ps.ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' + uncommitted changes' if dirty else ''}"


# -------------------------------------------------------------------- main ---


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
        help="extra environment for the workers, e.g. ALPES_COMMAND_CONCURRENCY=512",
    )
    args = p.parse_args(argv)
    for name in ("commands", "naive_commands", "repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    for item in args.worker_env:
        if "=" not in item or not item.startswith("ALPES_"):
            p.error(f"--worker-env {item!r}: expected ALPES_NAME=VALUE")
    return args


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    b.quiet_logs()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    logs = Path(tempfile.mkdtemp(prefix="alpes-bench-pipeline-logs-"))
    opts = Options(
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
    )
    names = list(CONFIGS) if args.config == "both" else [args.config]
    say("bench.pipeline: the service end to end (commands worker + relay processes)")
    say(f"machine: {b.machine()}")
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


if __name__ == "__main__":
    sys.exit(main())
