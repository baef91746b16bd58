"""Settles the messages of one real Pulsar consumer."""

import pulsar.asyncio

from .. import native
from ..delivery import DeadLetterHook, RawMessage
from ..options import DeadLetterPolicy
from ..publisher.producer import PulsarProducer


class ConsumerSettler:
    __slots__ = (
        "_client",
        "_consumer",
        "_dead_letter",
        "_kept",
        "_on_dead_letter",
        "_producer",
        "max_redeliveries",
        "subscription",
    )

    def __init__(
        self,
        consumer: pulsar.asyncio.Consumer,
        producer: PulsarProducer,
        subscription: str,
        dead_letter: DeadLetterPolicy | None,
        client: pulsar.asyncio.Client | None = None,
        on_dead_letter: DeadLetterHook | None = None,
    ) -> None:
        self._client = client
        self._kept: set[str] = set()  # DLQ topics known to have the initial subscription
        self._consumer = consumer
        self._producer = producer
        self._dead_letter = dead_letter or DeadLetterPolicy()
        self._on_dead_letter = on_dead_letter
        self.subscription = subscription
        self.max_redeliveries = dead_letter.max_redeliveries if dead_letter else None

    async def ack(self, message: RawMessage) -> None:
        native.acknowledge(self._consumer, message)

    async def nack(self, message: RawMessage) -> None:
        await self._consumer.negative_acknowledge(message)

    async def dead_letter(self, message: RawMessage, reason: dict[str, str]) -> None:
        topic = self._dead_letter.topic_for(message.topic_name(), self.subscription)
        try:
            await self._keep(topic)
            await self._producer.send_raw(
                topic,
                message.data(),
                message.properties() | reason,
                key=message.partition_key() or None,
                event_timestamp=message.event_timestamp(),
            )
        except Exception:
            # Not parked, so not acknowledged either: let it come back and try again.
            await self._consumer.negative_acknowledge(message)
            raise
        native.acknowledge(self._consumer, message)
        if self._on_dead_letter is not None:
            self._on_dead_letter(reason)

    async def _keep(self, topic: str) -> None:
        """Make the policy's initial subscription on ``topic`` once, before parking there,
        so the broker keeps what is parked until someone reads it."""
        name = self._dead_letter.initial_subscription
        if name is None or self._client is None or topic in self._kept:
            return
        consumer = await self._client.subscribe(
            topic,
            name,
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        await consumer.close()
        self._kept.add(topic)
