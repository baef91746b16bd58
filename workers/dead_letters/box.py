"""The admin subscription on the DLQ topics: receive what is parked, settle chosen ones."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import pulsar
import pulsar.asyncio

from adapters.pulsar import BrokerUnavailableError, PublishError, PulsarSecurity
from adapters.pulsar.handshake import connect_failure
from adapters.pulsar.receiver import Receiver

from .letters import DeadLetter
from .topics import ADMIN_SUBSCRIPTION, DEAD_LETTER_TOPICS, DeadLetterTopic

_LOG = logging.getLogger("pulsar.client")
_OPEN_CONCURRENCY = 8


class DeadLetterBox:
    """The admin subscription on a set of DLQ topics, for one operation.

    ``collect()`` receives what is there; ``acknowledge()`` removes one message for good;
    leaving the context closes the consumers, and whatever was not acknowledged stays.
    """

    def __init__(
        self,
        url: str,
        *,
        topics: Sequence[DeadLetterTopic] = DEAD_LETTER_TOPICS,
        security: PulsarSecurity | None = None,
        receive_timeout: float = 1.0,
        connect_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.topics = list(topics)
        self.missing_topics: list[str] = []
        self._security = security or PulsarSecurity()
        self._receive_timeout = receive_timeout
        self._connect_timeout = connect_timeout
        self._client: pulsar.asyncio.Client | None = None
        self._receivers: dict[str, tuple[pulsar.asyncio.Consumer, Receiver]] = {}
        self._received: dict[tuple[str, str], Any] = {}
        self._producers: dict[str, pulsar.asyncio.Producer] = {}

    async def __aenter__(self) -> "DeadLetterBox":
        self._client = pulsar.asyncio.Client(
            self.url,
            logger=_LOG,
            operation_timeout_seconds=max(1, int(self._connect_timeout)),
            connection_timeout_ms=int(self._connect_timeout * 1000),
            **self._security.client_kwargs(self.url),
        )
        try:
            await self._subscribe_all()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _subscribe_all(self) -> None:
        client = self._client
        assert client is not None
        await self._reachable(client)
        limit = asyncio.Semaphore(_OPEN_CONCURRENCY)

        async def subscribe(where: DeadLetterTopic) -> None:
            async with limit:
                try:
                    consumer = await client.subscribe(
                        where.topic,
                        ADMIN_SUBSCRIPTION,
                        consumer_type=pulsar.ConsumerType.Shared,
                        initial_position=pulsar.InitialPosition.Earliest,
                    )
                except pulsar.asyncio.PulsarException as e:
                    if e.error() == pulsar.Result.TopicNotFound:
                        # Topic auto-creation is off and nothing was ever parked there.
                        self.missing_topics.append(where.topic)
                        return
                    raise BrokerUnavailableError(self.url, self._connect_timeout, e) from e
                self._receivers[where.topic] = (consumer, Receiver(consumer))

        # Every subscribe runs to its end, so none is left behind unclosed on a failure.
        results = await asyncio.gather(*(subscribe(t) for t in self.topics), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _reachable(self, client: pulsar.asyncio.Client) -> None:
        """One lookup first, so that an unreachable broker is reported once, within the
        connect timeout, not once per topic."""
        if not self.topics:
            return
        try:
            await asyncio.wait_for(
                client.get_topic_partitions(self.topics[0].topic), self._connect_timeout
            )
        except (TimeoutError, pulsar.asyncio.PulsarException) as error:
            raise await connect_failure(
                self.url, self._security, self._connect_timeout, error
            ) from error

    async def collect(self) -> list[DeadLetter]:
        """Everything the admin subscription holds now, topic by topic in arrival order."""
        by_topic = await asyncio.gather(
            *(self._drain(t) for t in self.topics if t.topic in self._receivers)
        )
        return [letter for letters in by_topic for letter in letters]

    async def _drain(self, where: DeadLetterTopic) -> list[DeadLetter]:
        _, receiver = self._receivers[where.topic]
        letters: list[DeadLetter] = []
        while (message := await receiver.receive(self._receive_timeout)) is not None:
            letter = _dead_letter(where, message)
            self._received[(where.topic, letter.message_id)] = message
            letters.append(letter)
        return letters

    async def acknowledge(self, letter: DeadLetter) -> None:
        consumer, _ = self._receivers[letter.dlq_topic]
        await consumer.acknowledge(self._received[(letter.dlq_topic, letter.message_id)])

    async def send(self, letter: DeadLetter, topic: str, properties: dict[str, str]) -> str:
        """Store a copy of the letter's payload on ``topic``; raises PublishError if the
        broker did not store it."""
        try:
            producer = self._producers.get(topic)
            if producer is None:
                assert self._client is not None
                producer = await self._client.create_producer(topic, batching_enabled=False)
                self._producers[topic] = producer
            message_id = await producer.send(
                letter.body,
                properties=properties,
                partition_key=letter.key,
                event_timestamp=letter.event_timestamp or None,
            )
        except pulsar.asyncio.PulsarException as e:
            raise PublishError(topic, e) from e
        return str(message_id)

    async def close(self) -> None:
        producers, self._producers = self._producers, {}
        for producer in producers.values():
            with contextlib.suppress(Exception):
                await producer.close()
        receivers, self._receivers = self._receivers, {}
        # Receiver.close collects the pending receive that closing fails.
        await asyncio.gather(*(r.close() for _, r in receivers.values()))
        receivers.clear()
        producers.clear()
        self._received.clear()
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.close()
            self._client = None
        # The receives that closing failed leave the closed consumers in reference cycles
        # (exception, traceback, frame). Freed only at interpreter exit, pulsar-client's
        # C++ objects abort the process ("terminate called without an active exception",
        # exit 134, sometimes a segfault): free them now, while the loop still runs.
        gc.collect()


def _dead_letter(where: DeadLetterTopic, message: Any) -> DeadLetter:
    position = message.message_id()
    batch = None
    if position.batch_index() >= 0:
        batch = (position.ledger_id(), position.entry_id(), position.partition())
    return DeadLetter(
        where=where,
        message_id=str(message.message_id()),
        key=message.partition_key() or None,
        properties=dict(message.properties()),
        body=bytes(message.data()),
        published_at=datetime.fromtimestamp(message.publish_timestamp() / 1000, UTC),
        event_timestamp=int(message.event_timestamp() or 0),
        batch=batch,
    )


# ----------------------------------------------------------------- operations ---
