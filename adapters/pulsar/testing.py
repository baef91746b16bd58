"""In-memory test double of PulsarBroker.

``TestPulsarBroker(broker)`` routes each publish straight to the subscribers of the
topic (one per subscription name, like competing consumers) through the real encoding,
parser, middlewares and acknowledgement policy, so handler errors reach the test. Every
subscriber gets a ``RecordingSettler`` whose ``acked``, ``nacked`` and
``dead_lettered`` lists show how each message was settled; a dead letter is also
delivered to the subscribers of its dead-letter topic, as on a real broker.

A batch subscriber gets a ``publish_batch`` as batches of up to its ``max_batch_size``
(a single publish as a batch of one). A subscriber added while the test broker runs
starts with ``await subscriber.start()`` as on a real broker.
"""

import contextlib
from collections.abc import Generator, Iterable, Sequence
from contextlib import contextmanager
from functools import partial
from types import TracebackType
from typing import Any, cast, overload

import pulsar.asyncio
from faststream._internal.testing.broker import EnterType, TestBroker, change_producer
from typing_extensions import override

from .broker.broker import PulsarBroker
from .delivery import DeadLetterHook, Delivery, DeliveryBatch, RawMessage
from .fakes import FakeClient, FakeConsumer, FakeMessage, FakeMessageId, RecordingSettler
from .options import DeadLetterPolicy
from .publisher.encoding import EncodedMessage
from .publisher.producer import OutgoingMessage, PulsarProducer
from .publisher.usecase import PulsarPublisher
from .response import PulsarPublishCommand
from .subscriber.usecase import PulsarSubscriber

__all__ = (
    "FakeClient",
    "FakeConsumer",
    "FakeMessage",
    "FakeMessageId",
    "RecordingSettler",
    "TestPulsarBroker",
)


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
    ) -> FakeClient:
        # A subscriber started at run time subscribes through this client, and gets a
        # consumer that never receives: the fake producer hands it its messages.
        client = FakeClient()
        broker.config.broker_config._client = cast("pulsar.asyncio.Client", client)
        return client

    @override
    def _fake_close(
        self,
        broker: PulsarBroker,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> None:
        super()._fake_close(broker, exc_type, exc_val, exc_tb)
        config = broker.config.broker_config
        client: object = config._client
        if isinstance(client, FakeClient):
            client.close_consumers()  # ends the receive loops of subscribers left running
            config._client = None


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
        message = _fake(cmd.destination, await self.encode(cmd), cmd)
        await self._deliver([message])
        return message.id

    @override
    async def publish_batch(self, cmd: PulsarPublishCommand) -> list[FakeMessageId]:
        messages = [_fake(cmd.destination, m, cmd) for m in await self.encode_batch(cmd)]
        await self._deliver(messages)
        return [m.id for m in messages]

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
        message = FakeMessage(
            payload, properties, topic, key=key or "", event_time=event_timestamp or 0
        )
        await self._deliver([message])
        return message.id

    @override
    async def send_many(self, messages: Sequence[OutgoingMessage]) -> list[Any]:
        return [await self.send_raw(m.topic, m.payload, m.properties, key=m.key) for m in messages]

    async def _deliver(self, messages: Sequence[FakeMessage]) -> None:
        """To each subscription of the topic once (several subscribers sharing one
        compete; the first gets it): one by one, or to a batch subscriber in batches of
        up to its ``max_batch_size``."""
        if not messages:
            return
        topic = messages[0].topic
        seen: set[str] = set()
        for sub in _subscribers(self._brokers):
            if topic not in sub.prefixed_topics or sub.subscription in seen:
                continue
            seen.add(sub.subscription)
            settler = self._settler_of(sub)
            if not sub.batch:
                for message in messages:
                    await sub.process_message(Delivery(message, settler))
                continue
            size = sub._config.max_batch_size
            for start in range(0, len(messages), size):
                chunk = messages[start : start + size]
                await _process_batch(sub, DeliveryBatch([Delivery(m, settler) for m in chunk]))

    def _settler_of(self, sub: PulsarSubscriber) -> RecordingSettler:
        # None until the first message; a subscriber started at run time holds the
        # settler of its fake consumer, which settles nothing: record instead.
        if not isinstance(sub.settler, RecordingSettler):
            policy = sub._config.dead_letter
            sub.settler = RecordingSettler(
                sub.subscription,
                policy.max_redeliveries if policy else None,
                park=partial(
                    self._park,
                    policy or DeadLetterPolicy(),
                    sub.subscription,
                    sub._outer_config.on_dead_letter,
                ),
            )
        return sub.settler

    async def _park(
        self,
        policy: DeadLetterPolicy,
        subscription: str,
        hook: DeadLetterHook | None,
        message: RawMessage,
        reason: dict[str, str],
    ) -> None:
        """What the real settler does with a dead letter: a copy on the dead-letter topic
        (and the broker's ``on_dead_letter`` told)."""
        await self.send_raw(
            policy.topic_for(message.topic_name(), subscription),
            message.data(),
            message.properties() | reason,
            key=message.partition_key() or None,
            event_timestamp=message.event_timestamp(),
        )
        if hook is not None:
            hook(reason)


def _fake(topic: str, encoded: EncodedMessage, cmd: PulsarPublishCommand) -> FakeMessage:
    return FakeMessage(
        encoded.payload,
        encoded.properties,
        topic,
        key=encoded.key or "",
        ordering=cmd.ordering_key or "",
        event_time=int(encoded.event_time.timestamp() * 1000) if encoded.event_time else 0,
    )


async def _process_batch(sub: PulsarSubscriber, batch: DeliveryBatch) -> None:
    """As the real subscriber handles a batch: when the handler fails for a batch of
    several, each message it left unsettled is handled again alone. The batch's error
    reaches the test."""
    try:
        await sub.process_message(batch)
    except Exception:
        if batch.split:
            for delivery in batch.unsettled():
                with contextlib.suppress(Exception):  # its settlement shows on the settler
                    await sub.process_message(DeliveryBatch([delivery]))
        raise
