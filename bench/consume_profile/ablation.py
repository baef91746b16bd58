"""1. Ablation: the same pre-published messages consumed by the raw loop, the raw loop
receiving through the adapter's ``Receiver``, the adapter without and with fast_depends."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.pulsar import PulsarBroker
from adapters.pulsar.receiver import Receiver
from bench.broker.adapter import adapter_consume, adapter_publish_batch
from bench.broker.raw import close_client, raw_client, raw_consume, raw_consumer
from bench.broker.settings import (
    SUBSCRIPTION,
    Settings,
    Target,
    fresh_topic,
)
from bench.common import ADAPTER_LOGGER, say

Variant = Callable[[Target, Settings, str, int], Awaitable[float]]


async def raw_via_receiver(target: Target, s: Settings, topic: str, n: int) -> float:
    client = raw_client(target.url)
    try:
        started = time.perf_counter()
        consumer = await raw_consumer(client, topic, s)
        receiver = Receiver(consumer)
        for _ in range(n):
            msg = await receiver.receive()
            assert msg is not None  # no timeout: receive() waits for a message
            msg.data()
            await consumer.acknowledge(msg)
        elapsed = time.perf_counter() - started
        await receiver.close()
    finally:
        await close_client(client)
    return n / elapsed


async def adapter_untyped(target: Target, s: Settings, topic: str, n: int) -> float:
    broker = PulsarBroker(
        target.url, capabilities=target.capabilities, logger=ADAPTER_LOGGER, apply_types=False
    )
    done = asyncio.Event()
    handled = 0

    @broker.subscriber(topic, subscription=SUBSCRIPTION, receiver_queue_size=s.receiver_queue_size)
    async def handle(body: Any) -> None:
        nonlocal handled
        handled += 1
        if handled == n:
            done.set()

    await broker.connect()
    try:
        started = time.perf_counter()
        await broker.start()
        await asyncio.wait_for(done.wait(), s.run_timeout)
        elapsed = time.perf_counter() - started
    finally:
        await broker.stop()
    return n / elapsed


VARIANTS: dict[str, Variant] = {
    "raw receive/ack loop": raw_consume,
    "raw loop, receive via adapter Receiver": raw_via_receiver,
    "adapter, apply_types=False": adapter_untyped,
    "adapter, handle(body: bytes)": adapter_consume,
}


async def ablation(target: Target, s: Settings) -> None:
    n = target.messages
    topics = []
    for _ in range(len(VARIANTS) * s.repeats):
        topic = fresh_topic("profile", "input")
        await adapter_publish_batch(target, s, topic, n)
        topics.append(topic)
    rates: dict[str, list[float]] = {k: [] for k in VARIANTS}
    cpu: dict[str, list[float]] = {k: [] for k in VARIANTS}
    for repeat in range(s.repeats):
        order = list(VARIANTS) if repeat % 2 == 0 else list(VARIANTS)[::-1]
        for name in order:
            cpu0 = time.thread_time()
            rates[name].append(await VARIANTS[name](target, s, topics.pop(), n))
            cpu[name].append((time.thread_time() - cpu0) / n * 1e6)
    say(f"\n1. consume ablation, pulsar-lite, {n} messages x {s.size} B, {s.repeats} runs each")
    say(f"{'msg/s':>8} {'wall us/msg':>12} {'main-thread CPU us/msg':>23}  variant")
    for name in VARIANTS:
        rate = statistics.median(rates[name])
        say(
            f"{rate:>8,.0f} {1e6 / rate:>12.0f} {statistics.median(cpu[name]):>23.0f}  {name}"
            f"   (runs {', '.join(f'{r:,.0f}' for r in rates[name])})"
        )
