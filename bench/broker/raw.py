"""The raw side: plain ``pulsar.asyncio`` with the adapter's client, consumer and producer
settings (consume, publish, publish_batch)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable

import pulsar
import pulsar.asyncio

from bench.common import CLIENT_LOGGER, BenchError

from .settings import (
    CONNECT_TIMEOUT_MS,
    DEFAULT_DEAD_LETTER,
    NEGATIVE_ACK_DELAY_MS,
    OPERATION_TIMEOUT_S,
    SEND_TIMEOUT_MS,
    SUBSCRIPTION,
    Settings,
    Target,
)


def raw_client(url: str) -> pulsar.asyncio.Client:
    return pulsar.asyncio.Client(
        url,
        operation_timeout_seconds=OPERATION_TIMEOUT_S,
        connection_timeout_ms=CONNECT_TIMEOUT_MS,
        logger=CLIENT_LOGGER,
    )


async def close_client(client: pulsar.asyncio.Client) -> None:
    try:
        await client.close()
    except pulsar.asyncio.PulsarException:
        await asyncio.to_thread(client.shutdown)


async def raw_producer(
    client: pulsar.asyncio.Client, topic: str, concurrency: int
) -> pulsar.asyncio.Producer:
    # The adapter's producer: batching off, pending queue = the in-flight bound, so a
    # send is never dropped for a full queue (and a drop would raise, not vanish).
    return await client.create_producer(
        topic,
        send_timeout_millis=SEND_TIMEOUT_MS,
        max_pending_messages=concurrency,
        block_if_queue_full=False,
        batching_enabled=False,
    )


async def raw_consumer(
    client: pulsar.asyncio.Client, topic: str, s: Settings
) -> pulsar.asyncio.Consumer:
    # The consumer options the adapter's subscriber uses (subscriber/usecase.py).
    return await client.subscribe(
        topic,
        SUBSCRIPTION,
        consumer_type=pulsar.ConsumerType.Shared,
        receiver_queue_size=s.receiver_queue_size,
        negative_ack_redelivery_delay_ms=NEGATIVE_ACK_DELAY_MS,
        initial_position=pulsar.InitialPosition.Earliest,
        batch_index_ack_enabled=False,
        dead_letter_policy=pulsar.ConsumerDeadLetterPolicy(
            max_redeliver_count=DEFAULT_DEAD_LETTER.max_redeliveries + 1
        ),
    )


async def send_bounded(
    sends: Iterable[Callable[[], Awaitable[pulsar.MessageId]]], limit: int
) -> list[pulsar.MessageId | BaseException]:
    """Start every send, at most ``limit`` in flight; what each gave (its id or error)."""
    in_flight = asyncio.Semaphore(limit)
    started: list[asyncio.Future[pulsar.MessageId]] = []
    for send in sends:
        await in_flight.acquire()
        future = asyncio.ensure_future(send())
        future.add_done_callback(lambda _: in_flight.release())
        started.append(future)
    return await asyncio.gather(*started, return_exceptions=True)


async def raw_consume(target: Target, s: Settings, topic: str, n: int) -> float:
    client = raw_client(target.url)
    try:
        started = time.perf_counter()
        consumer = await raw_consumer(client, topic, s)
        received = 0
        size = 0
        while received < n:
            # Never cancelled while pending: the whole run has one deadline, and a
            # missed deadline fails the benchmark anyway.
            msg = await consumer.receive()
            size += len(msg.data())
            received += 1
            await consumer.acknowledge(msg)
        elapsed = time.perf_counter() - started
        if size != n * s.size:
            raise BenchError(f"raw consume got {size} bytes, expected {n * s.size}")
        await consumer.close()
    finally:
        await close_client(client)
    return n / elapsed


async def raw_publish(target: Target, s: Settings, topic: str, n: int) -> float:
    payload = s.payload
    client = raw_client(target.url)
    confirmed = 0
    try:
        started = time.perf_counter()
        producer = await raw_producer(client, topic, s.concurrency)
        remaining = iter(range(n))

        async def sender() -> None:
            nonlocal confirmed
            for _ in remaining:
                message_id = await producer.send(payload)  # raises on any failure
                if not isinstance(message_id, pulsar.MessageId):
                    raise BenchError(f"raw send returned {message_id!r}")
                confirmed += 1

        await asyncio.gather(*(sender() for _ in range(min(s.concurrency, n))))
        elapsed = time.perf_counter() - started
        await producer.close()
    finally:
        await close_client(client)
    if confirmed != n:
        raise BenchError(f"raw publish confirmed {confirmed} of {n}")
    return n / elapsed


async def raw_publish_batch(target: Target, s: Settings, topic: str, n: int) -> float:
    payload = s.payload
    client = raw_client(target.url)
    try:
        started = time.perf_counter()
        producer = await raw_producer(client, topic, s.concurrency)
        results = await send_bounded(
            (lambda: producer.send(payload) for _ in range(n)), s.concurrency
        )
        elapsed = time.perf_counter() - started
        await producer.close()
    finally:
        await close_client(client)
    failures = [r for r in results if not isinstance(r, pulsar.MessageId)]
    if failures:
        raise BenchError(f"raw batch: {len(failures)} of {n} sends failed, e.g. {failures[0]!r}")
    return n / elapsed
