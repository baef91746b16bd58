"""The adapter's side: the project's FastStream Pulsar broker (consume, publish,
publish_batch)."""

from __future__ import annotations

import asyncio
import time

import pulsar

from adapters.pulsar import PulsarBroker
from bench.common import ADAPTER_LOGGER, BenchError

from .settings import SUBSCRIPTION, Settings, Target


def adapter_broker(target: Target, s: Settings) -> PulsarBroker:
    return PulsarBroker(
        target.url,
        capabilities=target.capabilities,
        max_in_flight_sends=s.concurrency,
        logger=ADAPTER_LOGGER,
        graceful_timeout=10.0,
    )


async def adapter_consume(target: Target, s: Settings, topic: str, n: int) -> float:
    broker = adapter_broker(target, s)
    done = asyncio.Event()
    handled = 0
    size = 0

    @broker.subscriber(
        topic,
        subscription=SUBSCRIPTION,
        max_workers=1,
        receiver_queue_size=s.receiver_queue_size,
    )
    async def handle(body: bytes) -> None:
        nonlocal handled, size
        size += len(body)
        handled += 1
        if handled == n:
            done.set()

    await broker.connect()  # the client, as raw runs create theirs before the clock starts
    try:
        started = time.perf_counter()
        await broker.start()  # subscribes and starts the receive loop
        try:
            await asyncio.wait_for(done.wait(), s.run_timeout)
        except TimeoutError:
            raise BenchError(
                f"adapter consume handled {handled} of {n} in {s.run_timeout:g}s"
            ) from None
        # The handler of the N-th message has returned; its acknowledgement follows at once.
        elapsed = time.perf_counter() - started
    finally:
        await broker.stop()
    if handled != n or size != n * s.size:
        raise BenchError(f"adapter consume handled {handled} messages ({size} bytes), expected {n}")
    return n / elapsed


async def adapter_publish(target: Target, s: Settings, topic: str, n: int) -> float:
    payload = s.payload
    broker = adapter_broker(target, s)
    await broker.start()
    confirmed = 0
    try:
        # The clock includes the producer's creation (on the first publish), as for raw.
        started = time.perf_counter()
        remaining = iter(range(n))

        async def sender() -> None:
            nonlocal confirmed
            for _ in remaining:
                message_id = await broker.publish(payload, topic)  # raises PublishError
                if not isinstance(message_id, pulsar.MessageId):
                    raise BenchError(f"broker.publish returned {message_id!r}")
                confirmed += 1

        await asyncio.gather(*(sender() for _ in range(min(s.concurrency, n))))
        elapsed = time.perf_counter() - started
    finally:
        await broker.stop()
    if confirmed != n:
        raise BenchError(f"adapter publish confirmed {confirmed} of {n}")
    return n / elapsed


async def adapter_publish_batch(target: Target, s: Settings, topic: str, n: int) -> float:
    bodies = [s.payload] * n
    broker = adapter_broker(target, s)
    await broker.start()
    try:
        started = time.perf_counter()
        message_ids = await broker.publish_batch(*bodies, topic=topic)  # raises PublishError
        elapsed = time.perf_counter() - started
    finally:
        await broker.stop()
    ok = sum(isinstance(m, pulsar.MessageId) for m in message_ids)
    if ok != n:
        raise BenchError(f"broker.publish_batch confirmed {ok} of {n}")
    return n / elapsed
