"""In-memory test double of PulsarBroker.

``TestPulsarBroker(broker)`` routes each publish straight to the subscribers of the
topic (one per subscription name, like competing consumers) through the real parser,
middlewares and acknowledgement policy, so handler errors reach the test. Every
subscriber gets a ``RecordingSettler`` whose ``acked``, ``nacked`` and
``dead_lettered`` lists show how each message was settled.
"""

import itertools
import time
from collections.abc import Generator, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast, overload
from unittest.mock import MagicMock

from faststream._internal.testing.broker import EnterType, TestBroker, change_producer
from typing_extensions import override

from .broker.broker import PulsarBroker
from .delivery import Delivery, DeliveryBatch, RawMessage
from .publisher.producer import OutgoingMessage, PulsarProducer
from .publisher.usecase import PulsarPublisher
from .response import PulsarPublishCommand, PulsarResponse
from .subscriber.usecase import PulsarSubscriber

__all__ = ("FakeMessage", "RecordingSettler", "TestPulsarBroker")

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


@dataclass
class RecordingSettler:
    subscription: str
    max_redeliveries: int | None
    acked: list[RawMessage] = field(default_factory=list)
    nacked: list[RawMessage] = field(default_factory=list)
    dead_lettered: list[tuple[RawMessage, dict[str, str]]] = field(default_factory=list)

    async def ack(self, message: RawMessage) -> None:
        self.acked.append(message)

    async def nack(self, message: RawMessage) -> None:
        self.nacked.append(message)

    async def dead_letter(self, message: RawMessage, reason: dict[str, str]) -> None:
        self.dead_lettered.append((message, reason))


class TestPulsarBroker(TestBroker[PulsarBroker, EnterType], broker=PulsarBroker):
    """Usage::

    async with TestPulsarBroker(broker) as br:
        await br.publish({"id": 1}, "persistent://public/default/orders")
        handler.mock.assert_called_once_with({"id": 1})
    """

    @overload
    def __init__(
        self: "TestPulsarBroker[PulsarBroker]",
        broker: PulsarBroker,
        /,
        *,
        with_real: bool = False,
        connect_only: bool | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: "TestPulsarBroker[tuple[PulsarBroker, ...]]",
        *brokers: PulsarBroker,
        with_real: bool = False,
        connect_only: bool | None = None,
    ) -> None: ...

    def __init__(
        self,
        *brokers: PulsarBroker,
        with_real: bool = False,
        connect_only: bool | None = None,
    ) -> None:
        super().__init__(*brokers, with_real=with_real, connect_only=connect_only)

    @override
    def create_publisher_fake_subscriber(
        self, broker: PulsarBroker, publisher: PulsarPublisher
    ) -> tuple[PulsarSubscriber, bool]:
        for sub in _subscribers(self.brokers):
            if publisher.topic in sub.prefixed_topics:
                return sub, True
        fake = broker.subscriber(
            publisher.topic, subscription=f"test-{publisher.topic}", persistent=False
        )
        return fake, False

    @contextmanager
    def _patch_producer(self, broker: PulsarBroker) -> Generator[None, None, None]:
        with change_producer(broker.config.broker_config, FakeProducer(self.brokers)):
            yield

    @override
    async def _fake_connect(  # type: ignore[override]
        self, broker: PulsarBroker, *args: Any, **kwargs: Any
    ) -> MagicMock:
        client = MagicMock()
        broker.config.broker_config._client = client
        return client


def _subscribers(brokers: Sequence[PulsarBroker]) -> Iterable[PulsarSubscriber]:
    return (cast("PulsarSubscriber", s) for b in brokers for s in b.subscribers)


class FakeProducer(PulsarProducer):
    """Delivers in memory, through the same encoding as the real producer."""

    def __init__(self, brokers: Sequence[PulsarBroker]) -> None:
        super().__init__()
        self._brokers = brokers
        first = brokers[0].config.broker_config
        self.codec = first.broker_codec or self.codec
        self.serializer = first.fd_config._serializer

    @override
    async def publish(self, cmd: PulsarPublishCommand) -> FakeMessageId:
        payload, properties = await self._encode(cmd.body, cmd)
        message = FakeMessage(
            payload,
            properties,
            cmd.destination,
            key=cmd.key or "",
            ordering=cmd.ordering_key or "",
            event_time=int(cmd.event_time.timestamp() * 1000) if cmd.event_time else 0,
        )
        await self._deliver(message)
        return message.id

    @override
    async def publish_batch(self, cmd: PulsarPublishCommand) -> list[FakeMessageId]:
        ids = []
        for body in cmd.batch_bodies:
            key = body.key if isinstance(body, PulsarResponse) and body.key else cmd.key
            payload, properties = await self._encode(body, cmd)
            message = FakeMessage(payload, properties, cmd.destination, key=key or "")
            await self._deliver(message)
            ids.append(message.id)
        return ids

    @override
    async def send_raw(
        self,
        topic: str,
        payload: bytes,
        properties: dict[str, str],
        *,
        key: str | None = None,
        event_timestamp: int | None = None,
    ) -> FakeMessageId:
        message = FakeMessage(payload, properties, topic, key=key or "")
        await self._deliver(message)
        return message.id

    @override
    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[Any]:
        return [await self.send_raw(m.topic, m.payload, m.properties, key=m.key) for m in messages]

    async def _deliver(self, message: FakeMessage) -> None:
        seen: set[str] = set()
        for sub in _subscribers(self._brokers):
            if message.topic not in sub.prefixed_topics or sub.subscription in seen:
                continue
            seen.add(sub.subscription)
            if sub.settler is None:
                policy = sub._config.dead_letter
                sub.settler = RecordingSettler(
                    sub.subscription, policy.max_redeliveries if policy else None
                )
            delivery = Delivery(message, sub.settler)
            # A batch subscriber gets each in-memory publish as a batch of one.
            await sub.process_message(DeliveryBatch([delivery]) if sub.batch else delivery)
