"""Stand-ins for pulsar-client's objects, for the in-memory test broker (testing.py).

``FakeMessage`` reads like ``pulsar.Message``; ``RecordingSettler`` records how each
message was settled and parks dead letters on their dead-letter topic in memory;
``FakeClient`` and ``FakeConsumer`` let a subscriber added while the test broker runs
start as it would on a real broker, without ever receiving from the client (the fake
producer hands messages to subscribers itself).
"""

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pulsar
import pulsar.asyncio

from .delivery import RawMessage

__all__ = ("FakeClient", "FakeConsumer", "FakeMessage", "FakeMessageId", "RecordingSettler")

_entry_ids = itertools.count()


@dataclass(frozen=True, slots=True)
class FakeMessageId:
    entry_id: int

    def __str__(self) -> str:
        return f"(0,{self.entry_id},-1,-1)"


@dataclass(slots=True)
class FakeMessage:
    """Stands in for ``pulsar.Message``: same reading methods, no client behind it."""

    payload: bytes
    props: dict[str, str]
    topic: str
    key: str = ""
    ordering: str = ""
    redeliveries: int = 0
    event_time: int = 0
    publish_time: int = field(default_factory=lambda: int(time.time() * 1000))
    id: FakeMessageId = field(default_factory=lambda: FakeMessageId(next(_entry_ids)))

    def data(self) -> bytes:
        return self.payload

    def properties(self) -> dict[str, str]:
        return dict(self.props)

    def partition_key(self) -> str:
        return self.key

    def ordering_key(self) -> str:
        return self.ordering

    def message_id(self) -> FakeMessageId:
        return self.id

    def topic_name(self) -> str:
        return self.topic

    def redelivery_count(self) -> int:
        return self.redeliveries

    def event_timestamp(self) -> int:
        return self.event_time

    def publish_timestamp(self) -> int:
        return self.publish_time


Park = Callable[[RawMessage, dict[str, str]], Awaitable[object]]


@dataclass
class RecordingSettler:
    """Settles in memory: ``acked``, ``nacked`` and ``dead_lettered`` show what happened
    to each message. With ``park``, a dead letter is also sent on, as the real settler
    sends it to the dead-letter topic (the test broker delivers it there)."""

    subscription: str
    max_redeliveries: int | None
    acked: list[RawMessage] = field(default_factory=list)
    nacked: list[RawMessage] = field(default_factory=list)
    dead_lettered: list[tuple[RawMessage, dict[str, str]]] = field(default_factory=list)
    park: Park | None = field(default=None, repr=False)

    async def ack(self, message: RawMessage) -> None:
        self.acked.append(message)

    async def nack(self, message: RawMessage) -> None:
        self.nacked.append(message)

    async def dead_letter(self, message: RawMessage, reason: dict[str, str]) -> None:
        self.dead_lettered.append((message, reason))
        if self.park is not None:
            await self.park(message, reason)


class FakeConsumer:
    """What a subscriber started under the test broker consumes from: nothing, until it
    is closed (then a pending receive fails as pulsar-client's does)."""

    def __init__(self, topic: str | list[str], subscription: str) -> None:
        self.topic = topic
        self.subscription = subscription
        self._closed = asyncio.Event()

    async def receive(self) -> Any:
        await self._closed.wait()
        raise pulsar.asyncio.PulsarException(pulsar.Result.AlreadyClosed)

    async def acknowledge(self, message: Any) -> None:
        """Nothing to do: in memory, settlement goes through the RecordingSettler."""

    async def negative_acknowledge(self, message: Any) -> None:
        """Nothing to do: in memory, settlement goes through the RecordingSettler."""

    async def close(self) -> None:
        self.close_now()

    def close_now(self) -> None:
        self._closed.set()


class FakeClient:
    """The test broker's client: subscribing gives a FakeConsumer."""

    def __init__(self) -> None:
        self.consumers: list[FakeConsumer] = []

    async def subscribe(
        self, topic: str | list[str], subscription_name: str, **options: Any
    ) -> FakeConsumer:
        consumer = FakeConsumer(topic, subscription_name)
        self.consumers.append(consumer)
        return consumer

    def close_consumers(self) -> None:
        for consumer in self.consumers:
            consumer.close_now()
        self.consumers.clear()

    async def close(self) -> None:
        self.close_consumers()
