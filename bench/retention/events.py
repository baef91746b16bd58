"""A plain pulsar-client consumer of the v2 event stream that times each command of a
run's load by its event (the relay's publish, as a downstream service sees it)."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import pulsar
import pulsar.asyncio

from bench.broker.raw import close_client, raw_client
from contracts.properties import COMMAND_ID, EVENT_TYPE
from contracts.topics import EVENTS_V2

from .load import Load

REJECTED = "comando-rechazado"


class EventListener:
    def __init__(self, url: str, load: Load) -> None:
        self._url = url
        self._load = load
        self._client: pulsar.asyncio.Client | None = None
        self._task: asyncio.Task[None] | None = None
        self.received = 0
        self.rejected = 0  # the load is all valid: any rejection is a finding

    async def start(self) -> None:
        self._client = raw_client(self._url)
        consumer = await self._client.subscribe(
            EVENTS_V2,
            f"bench-retention-{self._load.tag}",
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Latest,
            receiver_queue_size=1000,
        )
        self._task = asyncio.create_task(self._loop(consumer))

    async def _loop(self, consumer: Any) -> None:
        load = self._load
        while True:
            msg = await consumer.receive()
            received = time.time()
            properties = msg.properties()
            index = load.index_of(properties.get(COMMAND_ID, ""))
            # A redelivered event keeps the first arrival's time.
            if index is not None and index < len(load.event_at):
                if math.isnan(load.event_at[index]):
                    load.event_at[index] = received
                    self.received += 1
                    self.rejected += properties.get(EVENT_TYPE) == REJECTED
            await consumer.acknowledge(msg)

    async def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.received < count:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._client is not None:
            await close_client(self._client)
