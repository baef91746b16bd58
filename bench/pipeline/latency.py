"""Latency at a fixed offered rate: commands sent on a clock, each with its ``sent_at``,
and a plain consumer of ``campana-creada`` timing every event."""

from __future__ import annotations

import asyncio
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

import pulsar
import pulsar.asyncio

from bench.broker.raw import close_client, raw_client
from bench.common import say

from .commands import (
    COMMAND_TOPIC,
    EVENT_TOPIC,
    campaign_id,
    command_body,
    command_id,
    index_of,
    run_tag,
)
from .database import processed_at
from .options import Options
from .probes import contention, cpu_between, cpu_snapshot
from .results import ConfigResult, LatencyRun
from .servers import BrokerServer, DatabaseServer
from .workers import Workers, pids


@dataclass
class Paced:
    """Commands sent at a fixed offered rate, each with ``sent_at`` (epoch seconds)."""

    tag: str
    rate: float
    sent_at: array[float] = field(default_factory=lambda: array("d"))
    failures: int = 0


async def paced_publish(url: str, paced: Paced, seconds: float) -> None:
    """Send ``paced.rate`` commands per second for ``seconds``: every tick, the commands due
    by then. Each command carries ``sent_at`` (time.time() at the send call)."""
    client = raw_client(url)
    try:
        # Batching on with a 1 ms window: a client producer as a busy service would run
        # it; the window is part of the measured latency.
        producer = await client.create_producer(
            COMMAND_TOPIC,
            batching_enabled=True,
            batching_max_publish_delay_ms=1,
            max_pending_messages=10_000,
            block_if_queue_full=False,
        )
        pending: set[asyncio.Future[pulsar.MessageId]] = set()

        def settled(send: asyncio.Future[pulsar.MessageId]) -> None:
            pending.discard(send)
            if send.cancelled() or send.exception() is not None:
                paced.failures += 1

        started = time.monotonic()
        i = 0
        while (now := time.monotonic() - started) < seconds:
            due = int(now * paced.rate)
            while i < due:
                cid = campaign_id(paced.tag, i)
                sent_at = time.time()
                send = asyncio.ensure_future(
                    producer.send(
                        command_body(cid),
                        properties={
                            "command_id": command_id(paced.tag, i),
                            "sent_at": repr(sent_at),
                        },
                        partition_key=cid,
                    )
                )
                paced.sent_at.append(sent_at)
                pending.add(send)
                send.add_done_callback(settled)
                i += 1
            await asyncio.sleep(0.002)
        if pending:
            await asyncio.wait(pending, timeout=60)
        await producer.close()
    finally:
        await close_client(client)


@dataclass
class Latencies:
    """Per event of a paced run: receive time - sent_at, and the event's publish time
    (set by the relay's producer) - sent_at, in seconds."""

    end_to_end: array[float] = field(default_factory=lambda: array("d"))
    to_event_publish: array[float] = field(default_factory=lambda: array("d"))
    received: int = 0


class EventListener:
    """A plain pulsar-client consumer on the campana-creada topic (own subscription, from
    the latest message on) that timestamps every event of a paced run."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._client: pulsar.asyncio.Client | None = None
        self._consumer: Any = None
        self._task: asyncio.Task[None] | None = None
        self.paced: Paced | None = None
        self.latencies = Latencies()

    async def start(self) -> None:
        self._client = raw_client(self._url)
        self._consumer = await self._client.subscribe(
            EVENT_TOPIC,
            f"bench-latency-{run_tag()}",
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Latest,
            receiver_queue_size=1000,
        )
        self._task = asyncio.create_task(self._loop())

    def follow(self, paced: Paced) -> None:
        self.paced = paced
        self.latencies = Latencies()

    async def _loop(self) -> None:
        consumer = self._consumer
        while True:
            msg = await consumer.receive()
            received = time.time()
            paced = self.paced
            if paced is not None:
                index = index_of(msg.properties().get("command_id", ""), paced.tag)
                if index is not None and index < len(paced.sent_at):
                    sent = paced.sent_at[index]
                    self.latencies.end_to_end.append(received - sent)
                    self.latencies.to_event_publish.append(msg.publish_timestamp() / 1000 - sent)
                    self.latencies.received += 1
            await consumer.acknowledge(msg)

    async def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.latencies.received < count:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._client is not None:
            await close_client(self._client)


async def measure_latency(
    broker: BrokerServer,
    database: DatabaseServer,
    engine: Any,
    workers: Workers,
    offered: float,
    seconds: float,
    on_sample: Any = None,
) -> LatencyRun:
    listener = EventListener(broker.url)
    await listener.start()
    paced = Paced(tag=run_tag(), rate=offered)
    listener.follow(paced)
    try:
        cpu0 = cpu_snapshot(pids(broker, database, workers), workers.commands.pid)
        started = time.monotonic()
        publishing = asyncio.create_task(paced_publish(broker.url, paced, seconds))
        while not publishing.done():
            workers.check()
            if on_sample is not None:
                on_sample(time.monotonic() - started)
            await asyncio.wait({publishing}, timeout=1.0)
        await publishing
        await listener.wait_for(len(paced.sent_at), timeout=60)
        took = time.monotonic() - started
        cpu = cpu_between(cpu0, cpu_snapshot(pids(broker, database, workers), workers.commands.pid))
        processed = await processed_at(engine, paced.tag)
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


async def run_latency(
    broker: BrokerServer,
    database: DatabaseServer,
    engine: Any,
    workers: Workers,
    offered: float,
    opts: Options,
    result: ConfigResult,
    repeat: int,
) -> None:
    """A latency run at ``offered`` cmd/s with the workers of a pipeline run."""
    lat = await measure_latency(broker, database, engine, workers, offered, opts.latency_seconds)
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
