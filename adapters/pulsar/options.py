"""Subscription options in the broker's own vocabulary, mapped to pulsar-client's."""

import re
from dataclasses import dataclass
from enum import StrEnum

import pulsar

_PARTITION = re.compile(r"-partition-\d+$")


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
    # A subscription made on the dead-letter topic before the first message is parked
    # there: a topic nobody subscribes to keeps nothing once the broker trims it, so
    # without one a message parked before anyone reads the DLQ could be gone.
    initial_subscription: str | None = None

    def __post_init__(self) -> None:
        if self.max_redeliveries < 0:
            msg = f"max_redeliveries must be >= 0, got {self.max_redeliveries}"
            raise ValueError(msg)

    def topic_for(self, source_topic: str, subscription: str) -> str:
        """The DLQ of ``source_topic``; every partition of a partitioned topic shares the
        DLQ of the topic itself."""
        return self.topic or f"{_PARTITION.sub('', source_topic)}-{subscription}-DLQ"
