"""Where the adapter's consume time goes, on pulsar-lite.

    python -m bench.consume_profile [--messages 20000] [--repeats 3]

1. Ablation on a real broker: the same N pre-published messages consumed by
   (a) the raw receive/ack loop of bench.broker,
   (b) that loop receiving through the adapter's ``Receiver`` (a task per receive,
       awaited with ``asyncio.wait`` so a timeout never cancels it),
   (c) the adapter with ``apply_types=False`` (handler gets the decoded body, no
       fast_depends/pydantic validation),
   (d) the adapter as bench.broker runs it (``async def handle(body: bytes)``).
   Reported: median msg/s, wall and main-thread CPU microseconds per message.
2. The pieces one by one, main-thread CPU per message: a raw ``receive()`` and a raw
   ``acknowledge()`` on their own; ``subscriber.consume(delivery)`` (the FastStream
   pipeline) on an in-memory message, on real received ``pulsar.Message`` objects with a
   no-op settler, and on real messages acknowledged through the adapter's settler.
3. The pipeline's stages: cProfile's inclusive share of each, scaled to the pipeline's
   unprofiled cost.

Diagnostics for docs/benchmarks-broker.md; prints text only (no JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pulsar
import pulsar.asyncio

from adapters.embedded_pulsar import EmbeddedPulsar
from adapters.pulsar import PULSAR_LITE, PulsarBroker
from adapters.pulsar.delivery import Delivery
from adapters.pulsar.publisher.producer import PulsarProducer
from adapters.pulsar.receiver import Receiver
from adapters.pulsar.subscriber.settler import ConsumerSettler

from . import broker as b

Variant = Callable[[b.Target, b.Settings, str, int], Awaitable[float]]


async def raw_via_receiver(target: b.Target, s: b.Settings, topic: str, n: int) -> float:
    client = b.raw_client(target.url)
    try:
        started = time.perf_counter()
        consumer = await client.subscribe(
            topic,
            b.SUBSCRIPTION,
            consumer_type=pulsar.ConsumerType.Shared,
            receiver_queue_size=s.receiver_queue_size,
            negative_ack_redelivery_delay_ms=b.NEGATIVE_ACK_DELAY_MS,
            initial_position=pulsar.InitialPosition.Earliest,
            batch_index_ack_enabled=False,
            dead_letter_policy=pulsar.ConsumerDeadLetterPolicy(
                max_redeliver_count=b.DEFAULT_DEAD_LETTER.max_redeliveries + 1
            ),
        )
        receiver = Receiver(consumer)
        for _ in range(n):
            msg = await receiver.receive()
            assert msg is not None  # no timeout: receive() waits for a message
            msg.data()
            await consumer.acknowledge(msg)
        elapsed = time.perf_counter() - started
        await receiver.close()
    finally:
        await b.close_client(client)
    return n / elapsed


async def adapter_untyped(target: b.Target, s: b.Settings, topic: str, n: int) -> float:
    broker = PulsarBroker(
        target.url, capabilities=target.capabilities, logger=b.ADAPTER_LOGGER, apply_types=False
    )
    done = asyncio.Event()
    handled = 0

    @broker.subscriber(
        topic, subscription=b.SUBSCRIPTION, receiver_queue_size=s.receiver_queue_size
    )
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
    "raw receive/ack loop": b.raw_consume,
    "raw loop, receive via adapter Receiver": raw_via_receiver,
    "adapter, apply_types=False": adapter_untyped,
    "adapter, handle(body: bytes)": b.adapter_consume,
}


async def ablation(target: b.Target, s: b.Settings) -> None:
    n = target.messages
    topics = []
    for _ in range(len(VARIANTS) * s.repeats):
        topic = b.fresh_topic("profile", "input")
        await b.adapter_publish_batch(target, s, topic, n)
        topics.append(topic)
    rates: dict[str, list[float]] = {k: [] for k in VARIANTS}
    cpu: dict[str, list[float]] = {k: [] for k in VARIANTS}
    for repeat in range(s.repeats):
        order = list(VARIANTS) if repeat % 2 == 0 else list(VARIANTS)[::-1]
        for name in order:
            cpu0 = time.thread_time()
            rates[name].append(await VARIANTS[name](target, s, topics.pop(), n))
            cpu[name].append((time.thread_time() - cpu0) / n * 1e6)
    b.say(f"\n1. consume ablation, pulsar-lite, {n} messages x {s.size} B, {s.repeats} runs each")
    b.say(f"{'msg/s':>8} {'wall us/msg':>12} {'main-thread CPU us/msg':>23}  variant")
    for name in VARIANTS:
        rate = statistics.median(rates[name])
        b.say(
            f"{rate:>8,.0f} {1e6 / rate:>12.0f} {statistics.median(cpu[name]):>23.0f}  {name}"
            f"   (runs {', '.join(f'{r:,.0f}' for r in rates[name])})"
        )


class _FakeMessage:
    __slots__ = ("_payload",)

    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def data(self) -> bytes:
        return self._payload

    def properties(self) -> dict[str, str]:
        return {"correlation_id": "0b1c6c62-2c1c-4c55-9d2e-6a8e4d1f7a11"}

    def partition_key(self) -> str:
        return ""

    def ordering_key(self) -> str:
        return ""

    def message_id(self) -> str:
        return "(12,34,-1,-1)"

    def topic_name(self) -> str:
        return "persistent://public/default/x"

    def redelivery_count(self) -> int:
        return 0

    def event_timestamp(self) -> int:
        return 0

    def publish_timestamp(self) -> int:
        return 0


class _FakeSettler:
    subscription = b.SUBSCRIPTION
    max_redeliveries: int | None = 5

    async def ack(self, message: Any) -> None:
        return None

    async def nack(self, message: Any) -> None:
        return None

    async def dead_letter(self, message: Any, reason: dict[str, str]) -> None:
        return None


# (label, file suffix, function name): inclusive cProfile time of each stage.
STAGES = (
    (
        "handler call: fast_depends + decode (HandlerItem.call)",
        "faststream/_internal/endpoint/subscriber/call_item.py",
        "call",
    ),
    (
        "  fast_depends: validate body: bytes, call handler",
        "fast_depends/use.py",
        "injected_wrapper",
    ),
    (
        "  decode_message: json.loads attempt on bytes without content-type",
        "faststream/message/utils.py",
        "decode_message",
    ),
    (
        "parse: PulsarParser.parse_message + StreamMessage",
        "faststream/_internal/endpoint/subscriber/call_item.py",
        "is_suitable",
    ),
    (
        "acknowledgement middleware exit (ack through the settler)",
        "faststream/middlewares/acknowledgement/middleware.py",
        "__aexit__",
    ),
    (
        "build the middleware stack (per message)",
        "faststream/_internal/endpoint/subscriber/usecase.py",
        "__build__middlewares_stack",
    ),
    ("get_log_context", "adapters/pulsar/subscriber/usecase.py", "get_log_context"),
)


async def _receive_all(consumer: pulsar.asyncio.Consumer, n: int) -> list[Any]:
    return [await consumer.receive() for _ in range(n)]


async def pieces(target: b.Target, s: b.Settings, n: int) -> None:
    """Main-thread CPU of each piece of the adapter's consume path, measured apart."""
    broker = PulsarBroker(target.url, capabilities=PULSAR_LITE, logger=b.ADAPTER_LOGGER)

    @broker.subscriber(b.fresh_topic("profile", "pieces"), subscription=b.SUBSCRIPTION)
    async def handle(body: bytes) -> None:
        return None

    topics = [b.fresh_topic("profile", "pieces-input") for _ in range(2)]
    for topic in topics:
        await b.adapter_publish_batch(target, s, topic, n)
    client = b.raw_client(target.url)
    rows: list[tuple[str, float]] = []

    def cpu_per_msg(cpu0: float, count: int) -> float:
        return (time.thread_time() - cpu0) / count * 1e6

    await broker.start()
    try:
        subscriber = broker.subscribers[0]
        fake_settler = _FakeSettler()
        fake = _FakeMessage(s.payload)
        for _ in range(2000):  # warm the pipeline up
            await subscriber.consume(Delivery(fake, fake_settler))

        consumers = [
            await client.subscribe(
                topic,
                b.SUBSCRIPTION,
                consumer_type=pulsar.ConsumerType.Shared,
                receiver_queue_size=s.receiver_queue_size,
                initial_position=pulsar.InitialPosition.Earliest,
                batch_index_ack_enabled=False,
            )
            for topic in topics
        ]
        cpu0 = time.thread_time()
        first = await _receive_all(consumers[0], n)
        rows.append(("raw: await consumer.receive() alone (prefetched)", cpu_per_msg(cpu0, n)))
        second = await _receive_all(consumers[1], n)
        cpu0 = time.thread_time()
        for msg in second:
            await consumers[1].acknowledge(msg)
        rows.append(("raw: await consumer.acknowledge(msg) alone", cpu_per_msg(cpu0, n)))

        cpu0 = time.thread_time()
        for _ in range(n):
            await subscriber.consume(Delivery(fake, fake_settler))
        rows.append(("pipeline: in-memory message, no-op settler", cpu_per_msg(cpu0, n)))
        half = n // 2
        cpu0 = time.thread_time()
        for msg in first[:half]:
            await subscriber.consume(Delivery(msg, fake_settler))
        rows.append(("pipeline: real pulsar.Message, no-op settler", cpu_per_msg(cpu0, half)))
        producer = cast("PulsarProducer", broker.config.producer)
        settler = ConsumerSettler(consumers[0], producer, b.SUBSCRIPTION, None)
        cpu0 = time.thread_time()
        for msg in first[half:]:
            await subscriber.consume(Delivery(msg, settler))
        rows.append(
            ("pipeline: real pulsar.Message, acknowledged via settler", cpu_per_msg(cpu0, n - half))
        )
        for consumer in consumers:
            await consumer.close()
    finally:
        await broker.stop()
        await b.close_client(client)

    b.say(f"\n2. pieces of the consume path, main-thread CPU, {n} messages each")
    for label, us in rows:
        b.say(f"{us:7.1f} us/msg  {label}")


async def pipeline(url: str, s: b.Settings, n: int) -> None:
    broker = PulsarBroker(url, capabilities=PULSAR_LITE, logger=b.ADAPTER_LOGGER)

    @broker.subscriber(b.fresh_topic("profile", "pipeline"), subscription=b.SUBSCRIPTION)
    async def handle(body: bytes) -> None:
        return None

    await broker.start()
    try:
        subscriber = broker.subscribers[0]
        message, settler = _FakeMessage(s.payload), _FakeSettler()

        async def run(count: int) -> float:
            started = time.perf_counter()
            for _ in range(count):
                await subscriber.consume(Delivery(message, settler))
            return (time.perf_counter() - started) / count * 1e6

        await run(2000)
        plain = min([await run(n) for _ in range(3)])
        profile = cProfile.Profile()
        profile.enable()
        await run(n)
        profile.disable()
    finally:
        await broker.stop()

    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]

    def inclusive(suffix: str, function: str) -> float:
        return max(
            (v[3] for (f, _, fn), v in stats.items() if f.endswith(suffix) and fn == function),
            default=0.0,
        )

    total = inclusive("faststream/_internal/endpoint/subscriber/usecase.py", "consume")
    b.say(f"\n3. FastStream pipeline alone (subscriber.consume, no I/O): {plain:.1f} us/msg")
    b.say("   stage shares from cProfile (inclusive), scaled to that figure:")
    for label, suffix, function in STAGES:
        share = inclusive(suffix, function) / total
        b.say(f"{share * plain:7.1f} us {share * 100:5.1f}%  {label}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.consume_profile", description=__doc__)
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    b.quiet_logs()
    s = b.Settings(
        messages=args.messages,
        size=args.size,
        repeats=args.repeats,
        concurrency=500,
        receiver_queue_size=1000,
        warmup=0,
        run_timeout=180.0,
        measurements=("consume",),
    )
    b.say(f"machine: {b.machine()}")
    with tempfile.TemporaryDirectory(prefix="alpes-bench-lite-") as data:
        lite = EmbeddedPulsar(Path(data)).start()
        try:
            target = b.Target(b.LITE, lite.url, PULSAR_LITE, args.messages)
            asyncio.run(ablation(target, s))
            asyncio.run(pieces(target, s, max(args.messages, 20_000)))
            asyncio.run(pipeline(lite.url, s, max(args.messages, 20_000)))
        finally:
            lite.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
