"""The Pulsar subscriber: one consumer, a receive loop that never drops a message,
optional key-ordered concurrency and a graceful stop."""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import pulsar
import pulsar.asyncio
from faststream._internal.endpoint.subscriber import SubscriberUsecase
from faststream._internal.endpoint.subscriber.mixins import TasksMixin
from faststream._internal.endpoint.utils import process_msg
from typing_extensions import override

from .. import native
from ..delivery import Delivery, DeliveryBatch, Settler
from ..dispatch import KeyOrderedDispatcher, KeySetDispatcher
from ..errors import AccessDeniedError
from ..middleware import FailureCapture
from ..parser import PulsarParser
from ..publisher.fake import PulsarFakePublisher
from ..receiver import Receiver
from .settler import ConsumerSettler

if TYPE_CHECKING:
    from faststream._internal.endpoint.publisher import PublisherProto
    from faststream._internal.endpoint.subscriber import SubscriberSpecification
    from faststream._internal.endpoint.subscriber.call_item import CallsCollection
    from faststream._internal.types import BrokerMiddleware
    from faststream.message import StreamMessage

    from ..broker.config import PulsarBrokerConfig
    from ..message import PulsarMessage
    from .config import PulsarSubscriberConfig

_FIRST_RECEIVE_BACKOFF = 0.1
_MAX_RECEIVE_BACKOFF = 5.0


class PulsarSubscriber(TasksMixin, SubscriberUsecase[Delivery]):
    """Consumes one subscription.

    Ordering: with ``max_workers=1`` messages are handled one at a time in the order this
    consumer receives them. With ``max_workers > 1`` messages sharing a key are still
    handled one after another in that order, and other keys run concurrently. Across
    several consumers of one Shared subscription there is no order; Key_Shared (Apache
    Pulsar) routes each key to one consumer.

    With ``batch=True`` the handler gets the messages the client has already received
    (one awaited receive, then whatever is prefetched, up to ``max_batch_size``) in one
    FastStream call: the per-message pipeline runs once per batch. ``max_workers`` then
    counts batches, and a batch starts only after the earlier ones sharing a key.
    """

    _outer_config: "PulsarBrokerConfig"

    def __init__(
        self,
        config: "PulsarSubscriberConfig",
        specification: "SubscriberSpecification[Any, Any]",
        calls: "CallsCollection[Delivery]",
    ) -> None:
        parser = PulsarParser()
        if config.batch:
            config.parser = parser.parse_batch
            config.decoder = parser.decode_batch
        else:
            config.parser = parser.parse_message
            config.decoder = parser.decode_message
        super().__init__(config, specification, calls)
        self.topics = config.topics
        self.subscription = config.subscription
        self.subscription_type = config.subscription_type
        self.max_workers = config.max_workers
        self.batch = config.batch
        self._config = config
        self._receiver: Receiver | None = None
        self._dispatcher: KeyOrderedDispatcher[Delivery] | None = None
        self._batches: KeySetDispatcher[DeliveryBatch] | None = None
        self.settler: Settler | None = None
        self._backoff = _FIRST_RECEIVE_BACKOFF

    @property
    def _broker_middlewares(self) -> Sequence["BrokerMiddleware[Delivery]"]:
        return (FailureCapture, *self._outer_config.broker_middlewares)

    @property
    def prefixed_topics(self) -> tuple[str, ...]:
        prefix = self._outer_config.prefix
        return tuple(f"{prefix}{t}" for t in self.topics)

    def get_log_context(self, message: "StreamMessage[Delivery] | None") -> dict[str, str]:
        return {
            "topic": ",".join(self.prefixed_topics),
            "subscription": self.subscription,
            "message_id": getattr(message, "message_id", ""),
        }

    def _make_response_publisher(
        self, message: "StreamMessage[Delivery]"
    ) -> Sequence["PublisherProto"]:
        return (PulsarFakePublisher(self._outer_config.producer, topic=message.reply_to),)

    @override
    async def start(self) -> None:
        capabilities = self._outer_config.capabilities
        capabilities.require_subscription_type(self.subscription_type)
        capabilities.require_multi_topic_consumers(self.prefixed_topics)
        await super().start()
        if self.calls:
            await self._open_consumer()
            if self.batch:
                self._batches = KeySetDispatcher(self._consume_batch, self.max_workers)
                self.add_task(self._consume_batches)
            else:
                if self.max_workers > 1:
                    self._dispatcher = KeyOrderedDispatcher(self.consume, self.max_workers)
                self.add_task(self._consume_loop)
        self._post_start()

    @override
    async def stop(self) -> None:
        # Stop taking messages, let the in-flight ones finish and settle (up to the
        # broker's graceful_timeout), then close: whatever was received but not
        # acknowledged goes back to the subscription for another consumer.
        self.running = False
        await super().stop()
        for dispatcher in (self._dispatcher, self._batches):
            if dispatcher is not None:
                await dispatcher.cancel()
        self._dispatcher = self._batches = None
        if self._receiver is not None:
            await self._receiver.close()
            self._receiver = None

    async def _open_consumer(self) -> Receiver:
        config = self._config
        topics = list(self.prefixed_topics)
        dead_letter = None
        if config.dead_letter is not None:
            # A backstop for messages that never reach a nack (a worker killed by them):
            # one redelivery beyond ours and the client parks them itself.
            # Named here so that it is the topic our own parking uses, whatever the client's
            # default for a partition would be.
            dead_letter = pulsar.ConsumerDeadLetterPolicy(
                max_redeliver_count=config.dead_letter.max_redeliveries + 1,
                dead_letter_topic=(
                    config.dead_letter.topic_for(topics[0], self.subscription)
                    if len(topics) == 1
                    else config.dead_letter.topic
                ),
                initial_subscription_name=config.dead_letter.initial_subscription,
            )
        try:
            consumer = await self._subscribe(topics, dead_letter)
        except pulsar.asyncio.PulsarException as e:
            if e.error() == pulsar.Result.AuthorizationError:
                where = f"{', '.join(topics)} (subscription {self.subscription!r})"
                raise AccessDeniedError("consume", where, self._outer_config.role, e) from e
            raise
        self.settler = ConsumerSettler(
            consumer,
            self._outer_config.producer,
            self.subscription,
            config.dead_letter,
            self._outer_config.client,
            self._outer_config.on_dead_letter,
        )
        self._receiver = Receiver(consumer)
        return self._receiver

    async def _subscribe(
        self, topics: list[str], dead_letter: pulsar.ConsumerDeadLetterPolicy | None
    ) -> pulsar.asyncio.Consumer:
        config = self._config
        return await self._outer_config.client.subscribe(
            topics[0] if len(topics) == 1 else topics,
            self.subscription,
            consumer_type=self.subscription_type.to_client(),
            receiver_queue_size=config.receiver_queue_size,
            consumer_name=config.consumer_name,
            unacked_messages_timeout_ms=(
                int(config.ack_timeout * 1000) if config.ack_timeout else None
            ),
            negative_ack_redelivery_delay_ms=int(config.negative_ack_delay * 1000),
            initial_position=config.initial_position.to_client(),
            # Batch-index acks lose the rest of a batch on pulsar-lite.
            batch_index_ack_enabled=False,
            dead_letter_policy=dead_letter,
        )

    async def _consume_loop(self) -> None:
        assert self.settler is not None
        settler, dispatcher = self.settler, self._dispatcher
        while self.running:
            raw = await self._receive()
            if raw is None:
                continue
            if not self.running:
                return  # not acknowledged: redelivered when the consumer closes
            delivery = Delivery(raw, settler)
            if dispatcher is None:
                await self.consume(delivery)
            else:
                await dispatcher.submit(delivery, delivery.key)

    async def _consume_batches(self) -> None:
        assert self._receiver is not None and self.settler is not None
        assert self._batches is not None
        consumer, settler, batches = self._receiver.consumer, self.settler, self._batches
        more = self._config.max_batch_size - 1
        while self.running:
            first = await self._receive()
            if first is None:
                continue
            try:
                raws = [first, *native.take_ready(consumer, more)]
            except pulsar.PulsarException:
                raws = [first]  # the next receive reports the failure, if it lasts
            if not self.running:
                return  # not acknowledged: redelivered when the consumer closes
            batch = DeliveryBatch([Delivery(raw, settler) for raw in raws])
            await batches.submit(batch, batch.keys())

    async def _consume_batch(self, batch: DeliveryBatch) -> None:
        await self.consume(batch)
        if batch.split:
            # The handler failed for the batch as a whole: each message again, alone.
            for delivery in batch.unsettled():
                await self.consume(DeliveryBatch([delivery]))

    async def _receive(self) -> Any | None:
        """The next message; None after a failed receive (logged, then backed off)."""
        assert self._receiver is not None
        try:
            # A plain receive, not the Receiver's: this loop never times out, and
            # when stop() cancels it the consumer is closed right after, which
            # gives anything delivered into the cancelled receive back.
            raw = await self._receiver.consumer.receive()
        except pulsar.asyncio.PulsarException as e:
            if self.running:
                self._log(logging.WARNING, f"Receive failed ({e}); retrying in {self._backoff:g}s")
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, _MAX_RECEIVE_BACKOFF)
            return None
        self._backoff = _FIRST_RECEIVE_BACKOFF
        return raw

    @override
    async def get_one(self, *, timeout: float = 5.0) -> "PulsarMessage | None":
        assert not self.calls, "get_one() is for subscribers without handlers."
        assert not self.batch, "get_one() takes one message: subscribe without batch=True."
        receiver = self._receiver or await self._open_consumer()
        raw = await receiver.receive(timeout=timeout)
        return None if raw is None else await self._to_message(raw)

    @override
    async def __aiter__(self) -> AsyncIterator["PulsarMessage"]:
        assert not self.calls, "You can't iterate a subscriber that has registered handlers."
        assert not self.batch, "Iteration yields single messages: subscribe without batch=True."
        receiver = self._receiver or await self._open_consumer()
        while True:
            if (raw := await receiver.receive()) is not None:
                yield await self._to_message(raw)

    async def _to_message(self, raw: Any) -> "PulsarMessage":
        assert self.settler is not None
        delivery = Delivery(raw, self.settler)
        async_parser, async_decoder = self._get_parser_and_decoder()
        context = self._outer_config.context
        msg: PulsarMessage = await process_msg(  # type: ignore[assignment]
            msg=delivery,
            middlewares=(m(delivery, context=context) for m in self._broker_middlewares),
            parser=async_parser,
            decoder=async_decoder,
        )
        return msg
