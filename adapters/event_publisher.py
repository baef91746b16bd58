"""The relay's port to the broker: outbox messages sent as stored, through the Pulsar
broker adapter (``application.ports.EventPublisher``)."""

from collections.abc import Sequence

from application.records import OutboxMessage

from .pulsar import OutgoingMessage, PulsarBroker


class BrokerEventPublisher:
    """Publishes outbox rows through the Pulsar broker adapter, bytes as stored."""

    def __init__(self, broker: PulsarBroker) -> None:
        self._broker = broker

    async def publish_events(self, messages: Sequence[OutboxMessage]) -> list[BaseException | None]:
        results = await self._broker.send_many(
            [OutgoingMessage(m.topic, m.payload, m.properties, m.key) for m in messages]
        )
        return [r if isinstance(r, BaseException) else None for r in results]
