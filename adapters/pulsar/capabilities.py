"""What each Pulsar-protocol broker can really do.

pulsar-lite speaks the Pulsar protocol but only part of it works (see docs/brokers.md).
The broker adapter checks a subscriber's or a publish call's options against these
capabilities and refuses clearly, instead of letting the broker stall or duplicate.
"""

from dataclasses import dataclass

from faststream.exceptions import FeatureNotSupportedException

from .options import SubscriptionType


@dataclass(frozen=True, slots=True)
class BrokerCapabilities:
    """What one Pulsar-protocol broker supports, so the adapter can refuse the rest."""

    name: str
    subscription_types: frozenset[SubscriptionType]
    delayed_delivery: bool
    multi_topic_consumers: bool
    # pulsar-lite answers has_message_available() on an empty topic with an error
    # ("Topic has no messages") instead of False.
    reader_fails_on_empty_topic: bool = False

    @property
    def key_shared(self) -> bool:
        return SubscriptionType.KEY_SHARED in self.subscription_types

    def require_subscription_type(self, subscription_type: SubscriptionType) -> None:
        if subscription_type not in self.subscription_types:
            allowed = ", ".join(sorted(t.value for t in self.subscription_types))
            msg = (
                f"{self.name} does not support {subscription_type.value} subscriptions "
                f"(supported: {allowed}). For per-key ordering on it, use a Shared "
                "subscription with max_workers > 1: messages with the same key are then "
                "processed one after another by each worker."
            )
            raise FeatureNotSupportedException(msg)

    def require_delayed_delivery(self) -> None:
        if not self.delayed_delivery:
            msg = (
                f"{self.name} does not support delayed delivery: it would deliver the "
                "message at once. Drop deliver_after/deliver_at, or use Apache Pulsar."
            )
            raise FeatureNotSupportedException(msg)

    def require_multi_topic_consumers(self, topics: tuple[str, ...]) -> None:
        if len(topics) > 1 and not self.multi_topic_consumers:
            msg = (
                f"{self.name} cannot resubscribe a multi-topic consumer after a crash; "
                f"subscribe to each of {list(topics)} with its own subscriber."
            )
            raise FeatureNotSupportedException(msg)


APACHE_PULSAR = BrokerCapabilities(
    name="Apache Pulsar",
    subscription_types=frozenset(SubscriptionType),
    delayed_delivery=True,
    multi_topic_consumers=True,
)

# Measured: Key_Shared stalls, Exclusive/Failover deliver duplicates, delayed delivery
# delivers at once, multi-topic consumers cannot be resubscribed after a SIGKILL.
PULSAR_LITE = BrokerCapabilities(
    name="pulsar-lite",
    subscription_types=frozenset({SubscriptionType.SHARED}),
    delayed_delivery=False,
    multi_topic_consumers=False,
    reader_fails_on_empty_topic=True,
)
