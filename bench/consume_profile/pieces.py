"""2. The pieces of the adapter's consume path, main-thread CPU of each, measured apart."""

from __future__ import annotations

import time
from typing import Any, cast

import pulsar
import pulsar.asyncio

from adapters.pulsar import PULSAR_LITE, PulsarBroker
from adapters.pulsar.delivery import Delivery
from adapters.pulsar.publisher.producer import PulsarProducer
from adapters.pulsar.subscriber.settler import ConsumerSettler
from bench.broker.adapter import adapter_publish_batch
from bench.broker.raw import close_client, raw_client
from bench.broker.settings import SUBSCRIPTION, Settings, Target, fresh_topic
from bench.common import ADAPTER_LOGGER, say

from .fakes import FakeMessage, FakeSettler


async def _receive_all(consumer: pulsar.asyncio.Consumer, n: int) -> list[Any]:
    return [await consumer.receive() for _ in range(n)]


async def pieces(target: Target, s: Settings, n: int) -> None:
    """Main-thread CPU of each piece of the adapter's consume path, measured apart."""
    broker = PulsarBroker(target.url, capabilities=PULSAR_LITE, logger=ADAPTER_LOGGER)

    @broker.subscriber(fresh_topic("profile", "pieces"), subscription=SUBSCRIPTION)
    async def handle(body: bytes) -> None:
        return None

    topics = [fresh_topic("profile", "pieces-input") for _ in range(2)]
    for topic in topics:
        await adapter_publish_batch(target, s, topic, n)
    client = raw_client(target.url)
    rows: list[tuple[str, float]] = []

    def cpu_per_msg(cpu0: float, count: int) -> float:
        return (time.thread_time() - cpu0) / count * 1e6

    await broker.start()
    try:
        subscriber = broker.subscribers[0]
        fake_settler = FakeSettler()
        fake = FakeMessage(s.payload)
        for _ in range(2000):  # warm the pipeline up
            await subscriber.consume(Delivery(fake, fake_settler))

        consumers = [
            await client.subscribe(
                topic,
                SUBSCRIPTION,
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
        settler = ConsumerSettler(consumers[0], producer, SUBSCRIPTION, None)
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
        await close_client(client)

    say(f"\n2. pieces of the consume path, main-thread CPU, {n} messages each")
    for label, us in rows:
        say(f"{us:7.1f} us/msg  {label}")
