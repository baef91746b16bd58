from dataclasses import dataclass, field

from faststream._internal.configs import SubscriberSpecificationConfig, SubscriberUsecaseConfig
from faststream._internal.constants import EMPTY
from faststream.middlewares import AckPolicy

from ..broker.config import PulsarBrokerConfig
from ..options import DeadLetterPolicy, InitialPosition, SubscriptionType

# Redelivery is how Pulsar retries, and the dead-letter policy bounds it, so a failed
# message is retried a few times and then parked, never dropped and never looping.
DEFAULT_ACK_POLICY = AckPolicy.NACK_ON_ERROR


@dataclass(kw_only=True)
class PulsarSubscriberSpecificationConfig(SubscriberSpecificationConfig):
    topics: tuple[str, ...]
    subscription: str
    subscription_type: SubscriptionType


@dataclass(kw_only=True)
class PulsarSubscriberConfig(SubscriberUsecaseConfig):
    _outer_config: PulsarBrokerConfig = field(default_factory=PulsarBrokerConfig)

    topics: tuple[str, ...]
    subscription: str
    subscription_type: SubscriptionType = SubscriptionType.SHARED
    initial_position: InitialPosition = InitialPosition.EARLIEST
    receiver_queue_size: int = 1000
    max_workers: int = 1
    batch: bool = False
    max_batch_size: int = 500
    negative_ack_delay: float = 1.0
    ack_timeout: float | None = None
    dead_letter: DeadLetterPolicy | None = field(default_factory=DeadLetterPolicy)
    consumer_name: str | None = None

    @property
    def ack_policy(self) -> AckPolicy:
        if self._ack_policy is EMPTY:
            if self._outer_config.ack_policy is not EMPTY:
                return self._outer_config.ack_policy
            return DEFAULT_ACK_POLICY
        return self._ack_policy
