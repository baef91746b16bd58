"""The backlog: many ``crear-campana`` commands published at once by a raw producer, before
the workers start."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from functools import partial

import pulsar
import pulsar.asyncio

from bench.broker.raw import close_client, raw_client, send_bounded
from bench.common import BenchError
from contracts.topics import COMMANDS_V2

from .commands import COMMAND, COMMAND_TOPIC, campaign_id, command_body, command_id


async def publish_commands(
    url: str, tag: str, n: int, *, topic: str | None = None, contract: int = 1
) -> float:
    """Publish ``n`` crear-campana commands (unique campaign and command ids, key = the
    campaign id) with batching on and many sends in flight, on the v1 topic or on the v2
    stream; returns msg/s. Both with the same batcher, so that only the contract version
    differs: the default one, fine for a single command worker (several workers on a
    Key_Shared subscription need key-based batching, whatever the version)."""
    client = raw_client(url)
    topic = topic or (COMMANDS_V2 if contract == 2 else COMMAND_TOPIC)
    extra = {"command_type": COMMAND} if contract == 2 else {}
    try:
        producer = await client.create_producer(
            topic,
            batching_enabled=True,
            batching_max_messages=1000,
            batching_max_publish_delay_ms=5,
            max_pending_messages=10_000,
            block_if_queue_full=False,
        )

        def send(i: int) -> Awaitable[pulsar.MessageId]:
            cid = campaign_id(tag, i)
            return producer.send(
                command_body(cid, contract),
                properties={"command_id": command_id(tag, i), **extra},
                partition_key=cid,
            )

        started = time.perf_counter()
        results = await send_bounded((partial(send, i) for i in range(n)), 5_000)
        elapsed = time.perf_counter() - started
        await producer.close()
    finally:
        await close_client(client)
    failures = [r for r in results if not isinstance(r, pulsar.MessageId)]
    if failures:
        raise BenchError(f"{len(failures)} of {n} command sends failed, e.g. {failures[0]!r}")
    return n / elapsed
