from typing import Any

from faststream._internal.endpoint.subscriber.call_item import CallsCollection
from faststream.middlewares import AckPolicy

from ..broker.config import PulsarBrokerConfig
from ..options import DeadLetterPolicy, InitialPosition, SubscriptionType
from .config import PulsarSubscriberConfig, PulsarSubscriberSpecificationConfig
from .specification import PulsarSubscriberSpecification
from .usecase import PulsarSubscriber


def create_subscriber(
    *,
    topics: tuple[str, ...],
    subscription: str,
    subscription_type: SubscriptionType,
    initial_position: InitialPosition,
    receiver_queue_size: int,
    max_workers: int,
    batch: bool,
    max_batch_size: int,
    negative_ack_delay: float,
    ack_timeout: float | None,
    dead_letter: DeadLetterPolicy | None,
    consumer_name: str | None,
    ack_policy: AckPolicy,
    no_reply: bool,
    config: PulsarBrokerConfig,
    title_: str | None,
    description_: str | None,
    include_in_schema: bool,
) -> PulsarSubscriber:
    if not topics or not all(topics):
        msg = f"A subscriber needs at least one non-empty topic, got {list(topics)!r}"
        raise ValueError(msg)
    if not subscription:
        msg = "A subscriber needs a subscription name (subscription=...)."
        raise ValueError(msg)
    if max_workers < 1:
        msg = f"max_workers must be >= 1, got {max_workers}"
        raise ValueError(msg)
    if max_batch_size < 1:
        msg = f"max_batch_size must be >= 1, got {max_batch_size}"
        raise ValueError(msg)

    subscriber_config = PulsarSubscriberConfig(
        topics=topics,
        subscription=subscription,
        subscription_type=subscription_type,
        initial_position=initial_position,
        receiver_queue_size=receiver_queue_size,
        max_workers=max_workers,
        batch=batch,
        max_batch_size=max_batch_size,
        negative_ack_delay=negative_ack_delay,
        ack_timeout=ack_timeout,
        dead_letter=dead_letter,
        consumer_name=consumer_name,
        no_reply=no_reply,
        _outer_config=config,
        _ack_policy=ack_policy,
    )
    calls = CallsCollection[Any]()
    specification = PulsarSubscriberSpecification(
        config,
        PulsarSubscriberSpecificationConfig(
            topics=topics,
            subscription=subscription,
            subscription_type=subscription_type,
            title_=title_,
            description_=description_,
            include_in_schema=include_in_schema,
        ),
        calls,
    )
    return PulsarSubscriber(subscriber_config, specification, calls)
