from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional, cast

from faststream._internal.broker.registrator import Registrator
from faststream._internal.constants import EMPTY
from faststream.middlewares import AckPolicy
from typing_extensions import override

from ..delivery import Delivery
from ..options import DeadLetterPolicy, InitialPosition, SubscriptionType
from ..publisher.factory import create_publisher
from ..subscriber.factory import create_subscriber
from .config import PulsarBrokerConfig

if TYPE_CHECKING:
    from fast_depends.dependencies import Dependant
    from faststream._internal.parser import CodecProto
    from faststream._internal.types import BrokerMiddleware, CustomCallable

    from ..publisher.usecase import PulsarPublisher
    from ..subscriber.usecase import PulsarSubscriber

_DEFAULT_DEAD_LETTER = DeadLetterPolicy()


class PulsarRegistrator(Registrator[Delivery, PulsarBrokerConfig]):
    """Declares subscribers and publishers; the broker and routers share it."""

    @override
    def subscriber(  # type: ignore[override]
        self,
        topic: str | Sequence[str],
        *,
        subscription: str,
        subscription_type: SubscriptionType = SubscriptionType.SHARED,
        initial_position: InitialPosition = InitialPosition.EARLIEST,
        receiver_queue_size: int = 1000,
        max_workers: int = 1,
        batch: bool = False,
        max_batch_size: int = 500,
        negative_ack_delay: float = 1.0,
        ack_timeout: float | None = None,
        dead_letter: DeadLetterPolicy | None = _DEFAULT_DEAD_LETTER,
        consumer_name: str | None = None,
        # broker arguments
        ack_policy: AckPolicy = EMPTY,
        no_reply: bool = False,
        dependencies: Sequence["Dependant"] = (),
        parser: Optional["CustomCallable"] = None,
        decoder: Optional["CustomCallable"] = None,
        codec: Optional["CodecProto"] = None,
        persistent: bool = True,
        # AsyncAPI information
        title: str | None = None,
        description: str | None = None,
        include_in_schema: bool = True,
    ) -> "PulsarSubscriber":
        """Subscribe a handler to a topic (or a list of topics).

        Args:
            topic: full topic name(s), e.g. ``persistent://public/default/orders``.
            subscription: the subscription name; consumers sharing it compete.
            subscription_type: Shared (default), Key_Shared, Failover or Exclusive.
            initial_position: where a new subscription starts (earliest by default, so
                nothing published before the first consumer is missed).
            receiver_queue_size: messages the client prefetches.
            max_workers: handlers running at once; messages with the same key still run
                one after another, in order. With ``batch``: batches in flight at once,
                a batch waiting for the earlier ones that share a key with it.
            batch: hand the handler a list of the messages already received (up to
                ``max_batch_size``; never waiting for more), in one FastStream call. The
                handler may settle each (``current_batch(context).deliveries``); the ack
                policy settles the rest.
            negative_ack_delay: seconds before a nacked message is redelivered.
            ack_timeout: seconds after which an unacknowledged message is redelivered.
            dead_letter: where rejected or exhausted messages go; None disables it, and
                a message that keeps failing is then redelivered for ever.
            consumer_name: the consumer's name as the broker shows it.
            ack_policy: FastStream's policy; default NACK_ON_ERROR (retry, then dead letter).
        """
        topics = (topic,) if isinstance(topic, str) else tuple(topic)
        subscriber = create_subscriber(
            topics=topics,
            subscription=subscription,
            subscription_type=SubscriptionType(subscription_type),
            initial_position=InitialPosition(initial_position),
            receiver_queue_size=receiver_queue_size,
            max_workers=max_workers,
            batch=batch,
            max_batch_size=max_batch_size,
            negative_ack_delay=negative_ack_delay,
            ack_timeout=ack_timeout,
            dead_letter=dead_letter,
            consumer_name=consumer_name,
            ack_policy=ack_policy,
            no_reply=no_reply,
            config=cast("PulsarBrokerConfig", self.config),
            title_=title,
            description_=description,
            include_in_schema=include_in_schema,
        )
        super().subscriber(subscriber, persistent=persistent)
        return subscriber.add_call(
            parser_=parser or self._parser,
            decoder_=decoder or self._decoder,
            codec_=codec,
            dependencies_=dependencies,
        )

    @override
    def publisher(  # type: ignore[override]
        self,
        topic: str,
        *,
        headers: dict[str, str] | None = None,
        producer_name: str | None = None,
        persistent: bool = True,
        # AsyncAPI information
        title: str | None = None,
        description: str | None = None,
        schema: Any | None = None,
        include_in_schema: bool = True,
    ) -> "PulsarPublisher":
        """A publisher for one topic.

        Args:
            topic: full topic name.
            headers: properties added to every message.
            producer_name: a stable name enables broker-side deduplication by sequence id
                (Apache Pulsar with deduplication on); it must be unique per topic.
        """
        publisher = create_publisher(
            topic=topic,
            headers=headers,
            producer_name=producer_name,
            broker_config=cast("PulsarBrokerConfig", self.config),
            schema_=schema,
            title_=title,
            description_=description,
            include_in_schema=include_in_schema,
        )
        super().publisher(publisher, persistent=persistent)
        return publisher

    @override
    def include_router(
        self,
        router: "PulsarRegistrator",  # type: ignore[override]
        *,
        prefix: str = "",
        dependencies: Sequence["Dependant"] = (),
        middlewares: Sequence["BrokerMiddleware[Any, Any]"] = (),
        include_in_schema: bool | None = None,
    ) -> None:
        if not isinstance(router, PulsarRegistrator):
            msg = f"Router must be a PulsarRouter, got {type(router).__name__} instead."
            raise TypeError(msg)
        super().include_router(
            router,
            prefix=prefix,
            dependencies=dependencies,
            middlewares=middlewares,
            include_in_schema=include_in_schema,
        )
