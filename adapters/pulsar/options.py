"""Subscription options in the broker's own vocabulary, mapped to pulsar-client's."""

from dataclasses import dataclass
from enum import StrEnum

import pulsar


class SubscriptionType(StrEnum):
    SHARED = "Shared"
    KEY_SHARED = "Key_Shared"
    FAILOVER = "Failover"
    EXCLUSIVE = "Exclusive"

    def to_client(self) -> pulsar.ConsumerType:
        return {
            SubscriptionType.SHARED: pulsar.ConsumerType.Shared,
            SubscriptionType.KEY_SHARED: pulsar.ConsumerType.KeyShared,
            SubscriptionType.FAILOVER: pulsar.ConsumerType.Failover,
            SubscriptionType.EXCLUSIVE: pulsar.ConsumerType.Exclusive,
        }[self]


class InitialPosition(StrEnum):
    EARLIEST = "earliest"
    LATEST = "latest"

    def to_client(self) -> pulsar.InitialPosition:
        if self is InitialPosition.EARLIEST:
            return pulsar.InitialPosition.Earliest
        return pulsar.InitialPosition.Latest


@dataclass(frozen=True, slots=True)
class DeadLetterPolicy:
    """Where a message goes once it is rejected or has failed too often.

    A message that fails is redelivered until it has been delivered
    ``max_redeliveries + 1`` times; the failure after that sends it to ``topic``
    (default ``<topic>-<subscription>-DLQ``, Pulsar's own convention) with the
    reason in its properties, and acknowledges it.
    """

    max_redeliveries: int = 5
    topic: str | None = None

    def __post_init__(self) -> None:
        if self.max_redeliveries < 0:
            msg = f"max_redeliveries must be >= 0, got {self.max_redeliveries}"
            raise ValueError(msg)

    def topic_for(self, source_topic: str, subscription: str) -> str:
        return self.topic or f"{source_topic}-{subscription}-DLQ"
