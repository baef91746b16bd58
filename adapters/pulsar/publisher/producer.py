"""Sends to Pulsar: one cached producer per topic, bounded in-flight sends, every result checked.

pulsar-client drops a send beyond the producer's pending queue unless someone reads
the failure, and its asyncio producer batches by default, so a single awaited send
waits out the batch delay. Here the number of sends in flight is bounded below the
queue size, batching is off unless asked for, and every failure raises PublishError.
"""

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

import pulsar
import pulsar.asyncio
from faststream._internal.endpoint.utils import ParserComposition
from faststream._internal.parser import DefaultCodec
from faststream._internal.producer import ProducerProto
from faststream.exceptions import FeatureNotSupportedException, IncorrectState
from typing_extensions import override

from .. import native
from ..capabilities import APACHE_PULSAR, BrokerCapabilities
from ..errors import PublishDeniedError, PublishError
from ..parser import PulsarParser
from ..response import PulsarPublishCommand
from .encoding import EncodedMessage, encode, encode_batch

if TYPE_CHECKING:
    from fast_depends.library.serializer import SerializerProto
    from faststream._internal.parser import CodecProto
    from faststream._internal.types import CustomCallable

# Results after which a cached producer is useless and must be recreated.
_PRODUCER_GONE = {pulsar.Result.AlreadyClosed, pulsar.Result.ProducerNotInitialized}


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """Bytes to send as they are, e.g. an event stored in an outbox."""

    topic: str
    payload: bytes
    properties: dict[str, str]
    key: str | None = None


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class PulsarProducer(ProducerProto[PulsarPublishCommand]):
    __slots__ = (
        "_batch_by_key",
        "_batching",
        "_capabilities",
        "_client",
        "_decoder",
        "_in_flight",
        "_lock",
        "_max_in_flight",
        "_parser",
        "_producers",
        "_send_timeout",
        "codec",
        "role",
        "serializer",
    )

    def __init__(
        self,
        *,
        parser: Optional["CustomCallable"] = None,
        decoder: Optional["CustomCallable"] = None,
        max_in_flight: int = 1000,
        send_timeout: float = 30.0,
        batching: bool = False,
        batch_by_key: Collection[str] | None = None,
        role: str | None = None,  # the token's role, to name it when a send is refused
    ) -> None:
        self.role = role
        default = PulsarParser()
        self._parser = ParserComposition(parser, default.parse_message)
        self._decoder = ParserComposition(decoder, default.decode_message)
        self.codec: CodecProto = DefaultCodec()
        self.serializer: SerializerProto | None = None
        self._client: pulsar.asyncio.Client | None = None
        self._capabilities = APACHE_PULSAR
        self._max_in_flight = max_in_flight
        self._send_timeout = send_timeout
        self._batching = batching
        self._batch_by_key = None if batch_by_key is None else frozenset(batch_by_key)
        self._producers: dict[tuple[str, str | None, bool], pulsar.asyncio.Producer] = {}
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._lock = asyncio.Lock()

    def connect(
        self,
        client: pulsar.asyncio.Client,
        serializer: Optional["SerializerProto"],
        codec: Optional["CodecProto"],
        capabilities: BrokerCapabilities,
    ) -> None:
        self._client = client
        self.serializer = serializer
        self.codec = codec or DefaultCodec()
        self._capabilities = capabilities
        # asyncio primitives bind to the loop that first waits on them: new per connection.
        self._in_flight = asyncio.Semaphore(self._max_in_flight)
        self._lock = asyncio.Lock()

    async def disconnect(self) -> None:
        producers, self._producers = self._producers, {}
        for producer in producers.values():
            try:
                await producer.flush()
                await producer.close()
            except Exception:  # closing anyway; the client close follows
                continue
        self._client = None

    @property
    def client(self) -> pulsar.asyncio.Client:
        if self._client is None:
            msg = "Producer is not connected. Call connect() first."
            raise IncorrectState(msg)
        return self._client

    @override
    async def publish(self, cmd: PulsarPublishCommand) -> pulsar.MessageId:
        message = await self.encode(cmd)
        if cmd.is_delayed:
            self._capabilities.require_delayed_delivery()
        producer = await self._producer(cmd.destination, cmd.producer_name)
        async with self._in_flight:
            return await self._send(producer, cmd, message)

    @override
    async def publish_batch(self, cmd: PulsarPublishCommand) -> list[pulsar.MessageId]:
        """Send every body with many sends in flight; the broker stores them in order.

        The bodies are encoded together, by the codec's ``encode_batch`` when it has one
        (FastStream's batch codec), else one by one with its ``encode``."""
        if cmd.is_delayed:
            self._capabilities.require_delayed_delivery()
        messages = await self.encode_batch(cmd)
        producer = await self._producer(cmd.destination, cmd.producer_name)
        sends: list[asyncio.Task[pulsar.MessageId]] = []
        try:
            for message in messages:
                await self._in_flight.acquire()
                # Tasks start in creation order, so send_async is called in that order.
                task = asyncio.ensure_future(self._send(producer, cmd, message))
                task.add_done_callback(lambda _: self._in_flight.release())
                sends.append(task)
        finally:
            results = await asyncio.gather(*sends, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r for r in results if not isinstance(r, BaseException)]

    async def send_raw(
        self,
        topic: str,
        payload: bytes,
        properties: dict[str, str],
        *,
        key: str | None = None,
        event_timestamp: int | None = None,
    ) -> pulsar.MessageId:
        """Send bytes as they are (a dead-lettered copy keeps the original payload)."""
        # Never batched: a dead-lettered copy must be acknowledged (redriven, purged)
        # on its own, and a batch leaves only as a whole without batch-index acks.
        producer = await self._producer(topic, None, batching=False)
        async with self._in_flight:
            try:
                return await producer.send(
                    payload,
                    properties=properties,
                    partition_key=key,
                    event_timestamp=event_timestamp or None,
                )
            except pulsar.asyncio.PulsarException as e:
                self._forget_if_gone(topic, None, e)
                raise PublishError(topic, e) from e

    async def send_many(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[pulsar.MessageId | PublishError]:
        """Send each message's bytes as they are, many in flight (stored in this order
        on each topic); one result per message: its id, or the PublishError."""
        results: list[pulsar.MessageId | PublishError] = []
        for start in range(0, len(messages), self._max_in_flight):
            chunk = messages[start : start + self._max_in_flight]
            sends: list[native.Send] = []
            unsent: dict[int, PublishError] = {}
            for index, message in enumerate(chunk):
                try:
                    producer = await self._producer(message.topic, None)
                except PublishError as error:
                    unsent[index] = error
                    continue
                sends.append(
                    native.Send(producer, message.payload, message.properties, message.key)
                )
            for _ in sends:
                await self._in_flight.acquire()
            try:
                outcomes = iter(await native.send_all(sends))
            finally:
                for _ in sends:
                    self._in_flight.release()
            for index, message in enumerate(chunk):
                if index in unsent:
                    results.append(unsent[index])
                    continue
                outcome = next(outcomes)
                if isinstance(outcome, pulsar.Result):
                    cause = pulsar.asyncio.PulsarException(outcome)
                    self._forget_if_gone(message.topic, None, cause)
                    results.append(PublishError(message.topic, cause))
                else:
                    results.append(outcome)
        return results

    @override
    async def request(self, cmd: PulsarPublishCommand) -> Any:
        msg = (
            f"Request/reply is not supported by the Pulsar broker (request to "
            f"{cmd.destination!r}): Pulsar's protocol has no reply-to, and this service "
            "communicates by commands and outcome events. Publish the command with a "
            "correlation_id and consume the outcome event that carries it back instead."
        )
        raise FeatureNotSupportedException(msg)

    async def encode(self, cmd: PulsarPublishCommand) -> EncodedMessage:
        """The command's one body, encoded with the codec, and its properties."""
        return await encode(cmd, self.codec, self.serializer)

    async def encode_batch(self, cmd: PulsarPublishCommand) -> list[EncodedMessage]:
        """Every body of a batch command, encoded in order: in one call to the codec's
        ``encode_batch`` when it is a batch codec, else one by one."""
        return await encode_batch(cmd, self.codec, self.serializer)

    async def _send(
        self,
        producer: pulsar.asyncio.Producer,
        cmd: PulsarPublishCommand,
        message: EncodedMessage,
    ) -> pulsar.MessageId:
        try:
            return await producer.send(
                message.payload,
                properties=message.properties,
                partition_key=message.key,
                ordering_key=cmd.ordering_key,
                sequence_id=message.sequence_id,
                event_timestamp=_millis(message.event_time) if message.event_time else None,
                deliver_after=cmd.deliver_after,
                deliver_at=_millis(cmd.deliver_at) if cmd.deliver_at else None,
            )
        except pulsar.asyncio.PulsarException as e:
            self._forget_if_gone(cmd.destination, cmd.producer_name, e)
            raise PublishError(cmd.destination, e) from e

    async def _producer(
        self, topic: str, name: str | None, *, batching: bool | None = None
    ) -> pulsar.asyncio.Producer:
        if not topic:
            msg = "No topic to publish to: pass topic=... or declare it on the publisher."
            raise ValueError(msg)
        batching = self._batching if batching is None else batching
        key = (topic, name, batching)
        if (producer := self._producers.get(key)) is not None:
            return producer
        async with self._lock:
            if (producer := self._producers.get(key)) is not None:
                return producer
            try:
                producer = await self.client.create_producer(
                    topic,
                    producer_name=name,
                    send_timeout_millis=int(self._send_timeout * 1000),
                    # Never fuller than our own bound, so the queue never drops a send.
                    max_pending_messages=self._max_in_flight,
                    block_if_queue_full=False,
                    batching_enabled=batching,
                    # Short: batching pays only when many sends are in flight, and then
                    # a batch fills long before this.
                    batching_max_publish_delay_ms=1,
                    # A Key_Shared subscription hands a whole batch to the consumer of its
                    # first key: each batch must hold one key, or keys lose their order.
                    batching_type=(
                        pulsar.BatchingType.KeyBased
                        if self._capabilities.key_shared
                        and (self._batch_by_key is None or topic in self._batch_by_key)
                        else pulsar.BatchingType.Default
                    ),
                )
            except pulsar.asyncio.PulsarException as e:
                if e.error() == pulsar.Result.AuthorizationError:
                    raise PublishDeniedError(topic, self.role, e) from e
                raise PublishError(topic, e) from e
            self._producers[key] = producer
            return producer

    def _forget_if_gone(
        self, topic: str, name: str | None, error: pulsar.asyncio.PulsarException
    ) -> None:
        if error.error() in _PRODUCER_GONE:
            for batching in (True, False):
                self._producers.pop((topic, name, batching), None)
