"""One pipeline run: the backlog, the two worker processes, the throughput from the rows'
timestamps; on the v1 topic, then latency and the raw database insert of the same rows;
on the v2 stream, plain or observed (metrics and traces on, ``observed.py``)."""

from __future__ import annotations

import time
from contextlib import nullcontext

from adapters.database.engine import create_engine
from bench.common import BenchError, say

from .baselines import run_raw_db
from .commands import run_tag
from .database import timings
from .latency import run_latency
from .observed import Observation, TraceSink, check_metrics, collect_spans, observed_env
from .options import Options
from .probes import cpu_between, cpu_line, cpu_snapshot, status_mb
from .publishing import publish_commands
from .report import git_state
from .results import ConfigResult, PipelineRun
from .servers import BrokerServer, DatabaseServer
from .workers import Workers, pids, wait_done, wait_first_row


async def run_pipeline(
    broker: BrokerServer,
    database: DatabaseServer,
    opts: Options,
    result: ConfigResult,
    repeat: int,
    contract: int = 1,
    observed: bool = False,
) -> None:
    """Backlog (on the contract version's command topic), workers, throughput; for v1,
    then latency at the offered rate and the raw database insert of the same rows.
    ``observed`` (a v2 run): metrics and traces on, both checked after the timed window."""
    n = opts.commands
    db_url = await database.fresh()
    tag = run_tag()
    publish_rate = await publish_commands(broker.url, tag, n, contract=contract)
    code = git_state()  # the workers import the code as it is now
    label = f"{result.name}-{repeat + 1}{'-observed' if observed else ''}"
    with TraceSink() if observed else nullcontext() as sink:
        obs = Observation() if sink is not None else None
        workers = Workers(broker, db_url, opts, label, observed_env(sink.url) if sink else None)
        engine = create_engine(db_url)
        try:
            await wait_first_row(engine, workers, 60)
            first_seen = time.monotonic()
            cpu0 = cpu_snapshot(pids(broker, database, workers), workers.commands.pid)
            await wait_done(engine, workers, n, opts.run_timeout)
            wall = time.monotonic() - first_seen
            cpu1 = cpu_snapshot(pids(broker, database, workers), workers.commands.pid)
            t = await timings(engine, tag)
            if t.rows != n:
                raise BenchError(f"{t.rows} command_log rows for {n} commands")
            seconds = t.last_published - t.first_processed
            run = PipelineRun(
                rate=(n - t.first_batch) / seconds,
                wall_rate=n / wall,
                seconds=seconds,
                batches=t.batches,
                cpu=cpu_between(cpu0, cpu1),
                code=code,
                observation=obs,
            )
            kind = "" if contract == 1 else " v2 observed" if observed else " v2"
            say(
                f"    pipeline{kind}   run {repeat + 1}: "
                f"{run.rate:>8,.0f} cmd/s  ({n} commands in "
                f"{seconds:.2f} s; polled {run.wall_rate:,.0f}/s; {t.batches} batches, "
                f"avg {n / t.batches:.0f}; backlog published at {publish_rate:,.0f}/s)"
            )
            say("               " + cpu_line(run.cpu, n))
            if opts.latency_seconds > 0 and contract == 1:
                offered = opts.offered_rate or (
                    0.5 * result.pipeline[0].rate if result.pipeline else 0.5 * run.rate
                )
                await run_latency(broker, database, engine, workers, offered, opts, result, repeat)
            if obs is not None:  # after the timed window: the scrape costs the workers too
                await check_metrics(workers.commands.log, workers.relay.log, n, obs)
            run.worker_hwm_mb = status_mb(workers.commands.pid, "VmHWM")
            run.relay_hwm_mb = status_mb(workers.relay.pid, "VmHWM")
            say(
                f"               peak RSS: commands worker {run.worker_hwm_mb:.0f} MB, "
                f"relay {run.relay_hwm_mb:.0f} MB"
            )
        finally:
            await engine.dispose()
            workers.stop()
        if sink is not None and obs is not None:
            collect_spans(sink, obs)  # the workers have stopped: their spans are flushed
            say(f"               {obs.summary()}")
    runs = result.pipeline if contract == 1 else result.pipeline_v2
    (result.pipeline_v2_observed if observed else runs).append(run)
    if contract == 2:  # the baselines are measured once, against the v1 run
        await database.drop(db_url)
        return

    await run_raw_db(database, db_url, tag, result, repeat)
    await database.drop(db_url)
