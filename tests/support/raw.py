"""Plain pulsar-client access, independent of the project's broker adapter: what an
outside producer or consumer would do."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pulsar
import pulsar.asyncio

_LOG = logging.getLogger("pulsar.client.tests")


@asynccontextmanager
async def raw_client(url: str) -> AsyncIterator[pulsar.asyncio.Client]:
    client = pulsar.asyncio.Client(url, logger=_LOG)
    try:
        yield client
    finally:
        await client.close()


async def raw_publish(url: str, topic: str, *payloads: bytes, key: str | None = None) -> None:
    async with raw_client(url) as client:
        producer = await client.create_producer(topic, batching_enabled=False)
        for payload in payloads:
            await producer.send(payload, partition_key=key)
        await producer.close()


async def raw_read(url: str, topic: str, count: int, timeout: float = 20.0) -> list[pulsar.Message]:
    """Read the first ``count`` messages of ``topic`` with a fresh subscription."""
    async with raw_client(url) as client:
        consumer = await client.subscribe(
            topic,
            "raw-reader",
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        messages: list[pulsar.Message] = []
        try:
            async with asyncio.timeout(timeout):
                while len(messages) < count:
                    message = await consumer.receive()
                    await consumer.acknowledge(message)
                    messages.append(message)
        finally:
            await consumer.close()
        return messages


async def subscription_from_now(url: str, topic: str, prefix: str) -> str:
    """A new subscription on ``topic`` that starts after whatever earlier tests left there
    (the v2 streams are shared by the whole session): its consumer sees only what comes."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    async with raw_client(url) as client:
        consumer = await client.subscribe(
            topic,
            name,
            initial_position=pulsar.InitialPosition.Latest,
            consumer_type=pulsar.ConsumerType.Shared,
        )
        await consumer.close()
    return name
