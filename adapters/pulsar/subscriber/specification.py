"""How a subscriber appears in the AsyncAPI document: one channel per topic."""

from faststream._internal.endpoint.subscriber import SubscriberSpecification
from faststream.specification.asyncapi.utils import resolve_payloads
from faststream.specification.schema import Message, Operation, SubscriberSpec

from ..broker.config import PulsarBrokerConfig
from .config import PulsarSubscriberSpecificationConfig


class PulsarSubscriberSpecification(
    SubscriberSpecification[PulsarBrokerConfig, PulsarSubscriberSpecificationConfig],
):
    __slots__ = ()

    @property
    def topics(self) -> list[str]:
        prefix = self._outer_config.prefix
        return list(dict.fromkeys(f"{prefix}{t}" for t in self.config.topics))

    @property
    def channel_labels(self) -> list[str]:
        return self.topics

    def get_schema(self) -> dict[str, SubscriberSpec]:
        payloads = self.get_payloads()
        topics = self.topics
        split = len(topics) > 1
        description = self.description or (
            f"Subscription {self.config.subscription!r} ({self.config.subscription_type.value})."
        )
        channels = {}
        for topic in topics:
            name = self._channel_key(topic, split=split)
            channels[name] = SubscriberSpec(
                address=topic,
                description=description,
                operation=Operation(
                    message=Message(title=f"{name}:Message", payload=resolve_payloads(payloads)),
                    bindings=None,
                ),
                # AsyncAPI defines no Pulsar channel binding FastStream can render.
                bindings=None,
            )
        return channels
