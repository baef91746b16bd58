"""What the service is compared with: the one-at-a-time loop (``bench.naive`` in its own
process), the raw broker (receive + ack) and the raw database (executemany)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid

from bench.broker.raw import raw_consume, raw_publish
from bench.broker.settings import Settings, Target, fresh_topic
from bench.common import ROOT, BenchError, say

from .commands import campaign_id, command_body, run_tag
from .database import insert_rows, read_rows
from .options import Options
from .publishing import publish_commands
from .results import ConfigResult
from .servers import BrokerServer, DatabaseServer

RAW_DB_BATCH = 500


async def run_naive(
    broker: BrokerServer,
    database: DatabaseServer,
    opts: Options,
    result: ConfigResult,
    repeat: int,
) -> None:
    db_url = await database.fresh()
    topic = f"persistent://public/default/bench-naive-{uuid.uuid4().hex[:10]}"
    tag = run_tag()
    await publish_commands(broker.url, tag, opts.naive_commands, topic=topic)
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
        cwd=ROOT,
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
    broker: BrokerServer, opts: Options, result: ConfigResult, repeat: int
) -> None:
    size = len(command_body(campaign_id(run_tag(), opts.commands)))
    settings = Settings(
        messages=opts.commands,
        size=size,
        repeats=1,
        concurrency=500,
        receiver_queue_size=1000,
        warmup=0,
        run_timeout=opts.run_timeout,
        measurements=("consume",),
    )
    target = Target(broker.name, broker.url, broker.capabilities, opts.commands)
    topic = fresh_topic(broker.name, "pipeline-raw")
    await raw_publish(target, settings, topic, opts.commands)
    rate = await asyncio.wait_for(
        raw_consume(target, settings, topic, opts.commands), opts.run_timeout
    )
    result.raw_consume.append(rate)
    say(
        f"    raw consume run {repeat + 1}: {rate:>7,.0f} msg/s ({opts.commands} x {size} B, "
        "receive + ack)"
    )


async def run_raw_db(
    database: DatabaseServer, db_url: str, tag: str, result: ConfigResult, repeat: int
) -> None:
    """The rows the pipeline run ``tag`` wrote in ``db_url``, inserted again into a fresh
    database of the same kind."""
    rows = await read_rows(db_url, tag)
    target = await database.fresh()
    rate = await insert_rows(target, rows, RAW_DB_BATCH)
    result.raw_db.append(rate)
    say(
        f"    raw db     run {repeat + 1}: {rate:>8,.0f} commands/s ({len(rows)} x (campaign + "
        f"outbox + command_log), executemany, {RAW_DB_BATCH} per transaction)"
    )
    await database.drop(target)
