import asyncio
import logging
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Optional

import pulsar
import pulsar.asyncio
from fast_depends import Provider, dependency_provider
from faststream._internal.broker import BrokerUsecase
from faststream._internal.constants import EMPTY
from faststream._internal.context.repository import ContextRepo
from faststream._internal.di import FastDependsConfig
from faststream._internal.types import IdGenerator
from faststream.message import gen_cor_id
from faststream.middlewares import AckPolicy
from faststream.response.publish_type import PublishType
from faststream.specification.schema import BrokerSpec
from typing_extensions import override

from ..capabilities import APACHE_PULSAR, BrokerCapabilities
from ..delivery import DeadLetterHook, Delivery
from ..errors import PublishError
from ..handshake import connect_failure
from ..publisher.producer import OutgoingMessage, PulsarProducer
from ..response import PulsarPublishCommand
from ..security import PulsarSecurity
from .config import PulsarBrokerConfig
from .logging import make_pulsar_logger_state
from .registrator import PulsarRegistrator

if TYPE_CHECKING:
    from fast_depends.dependencies import Dependant
    from fast_depends.library.serializer import SerializerProto
    from faststream._internal.basic_types import LoggerProto
    from faststream._internal.parser import CodecProto
    from faststream._internal.types import BrokerMiddleware, CustomCallable
    from faststream.specification.schema.extra import Tag, TagDict

# Ping looks this topic's partition metadata up: a real round trip that creates nothing.
PING_TOPIC = "persistent://public/default/__alpes_ping"


class PulsarBroker(
    PulsarRegistrator,
    BrokerUsecase[Delivery, pulsar.asyncio.Client, PulsarBrokerConfig],
):
    """FastStream broker for Apache Pulsar (and Pulsar-protocol brokers), on pulsar.asyncio."""

    def __init__(
        self,
        url: str = "pulsar://localhost:6650",
        *,
        security: PulsarSecurity | None = None,
        capabilities: BrokerCapabilities = APACHE_PULSAR,
        connect_timeout: float = 10.0,
        operation_timeout: float = 30.0,
        send_timeout: float = 30.0,
        max_in_flight_sends: int = 1000,
        batching: bool = False,  # for many sends in flight at once (e.g. a relay)
        # With batching, the topics whose batches hold one key each (what Key_Shared
        # consumers need to get whole keys); None: every topic, where there is Key_Shared.
        batch_by_key: Collection[str] | None = None,
        graceful_timeout: float | None = 15.0,
        # Told of every message parked on a dead-letter topic (e.g. to count them).
        on_dead_letter: DeadLetterHook | None = None,
        decoder: Optional["CustomCallable"] = None,
        parser: Optional["CustomCallable"] = None,
        codec: Optional["CodecProto"] = None,
        dependencies: Sequence["Dependant"] = (),
        middlewares: Sequence["BrokerMiddleware[Any, Any]"] = (),
        routers: Iterable[PulsarRegistrator] = (),
        ack_policy: AckPolicy = EMPTY,
        id_generator: IdGenerator = gen_cor_id,
        # AsyncAPI
        specification_url: str | None = None,
        protocol: str | None = None,
        protocol_version: str | None = "4.0",
        description: str | None = None,
        tags: Iterable["Tag | TagDict"] = (),
        # logging
        logger: Optional["LoggerProto"] = EMPTY,
        log_level: int = logging.INFO,
        # FastDepends
        apply_types: bool = True,
        serializer: Optional["SerializerProto"] = EMPTY,
        provider: Optional["Provider"] = None,
        context: Optional["ContextRepo"] = None,
    ) -> None:
        if not url.startswith(("pulsar://", "pulsar+ssl://")):
            msg = f"Pulsar URL must start with pulsar:// or pulsar+ssl://, got {url!r}"
            raise ValueError(msg)
        self.url = url
        self.capabilities = capabilities
        self._security = security or PulsarSecurity()
        self._connect_timeout = connect_timeout
        producer = PulsarProducer(
            parser=parser,
            decoder=decoder,
            max_in_flight=max_in_flight_sends,
            send_timeout=send_timeout,
            batching=batching,
            batch_by_key=batch_by_key,
            role=self._security.role,
        )
        super().__init__(
            service_url=url,
            operation_timeout_seconds=max(1, int(operation_timeout)),
            connection_timeout_ms=int(connect_timeout * 1000),
            # The C++ client logs to stdout unless handed a logger.
            logger=logging.getLogger("pulsar.client"),
            **self._security.client_kwargs(url),
            routers=routers,
            config=PulsarBrokerConfig(
                producer=producer,
                capabilities=capabilities,
                role=self._security.role,
                on_dead_letter=on_dead_letter,
                broker_middlewares=middlewares,
                broker_parser=parser,
                broker_decoder=decoder,
                broker_codec=codec,
                logger=make_pulsar_logger_state(logger=logger, log_level=log_level),
                fd_config=FastDependsConfig(
                    use_fastdepends=apply_types,
                    serializer=serializer,
                    provider=provider or dependency_provider,
                    context=context or ContextRepo(),
                ),
                broker_dependencies=dependencies,
                graceful_timeout=graceful_timeout,
                ack_policy=ack_policy,
                id_generator=id_generator,
                extra_context={"broker": self},
            ),
            specification=BrokerSpec(
                description=description,
                url=[specification_url or url],
                protocol=protocol or url.split("://", 1)[0],
                protocol_version=protocol_version,
                tags=tags,
                security=security,
            ),
        )

    @override
    async def _connect(self) -> pulsar.asyncio.Client:
        client = pulsar.asyncio.Client(**self._connection_kwargs)
        # The client connects lazily: make one round trip so a wrong URL fails here.
        try:
            await asyncio.wait_for(
                client.get_topic_partitions(PING_TOPIC), timeout=self._connect_timeout
            )
        except pulsar.asyncio.PulsarException as e:
            if e.error() != pulsar.Result.AuthorizationError:
                await self._connect_failed(client, e)
            # Authenticated and answered; this role may not look the ping topic up,
            # which says nothing about the topics it uses.
        except TimeoutError as e:
            await self._connect_failed(client, e)
        self.config.broker_config.connect(client)
        return client

    async def _connect_failed(self, client: pulsar.asyncio.Client, error: BaseException) -> None:
        await asyncio.to_thread(client.shutdown)
        # pulsar-client reports a refused token or an untrusted certificate as a
        # timeout: ask the broker itself why, in one connection.
        raise await connect_failure(
            self.url, self._security, self._connect_timeout, error
        ) from error

    @override
    async def start(self) -> None:
        await self.connect()
        await super().start()

    @override
    async def stop(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: Optional["TracebackType"] = None,
    ) -> None:
        await super().stop(exc_type, exc_val, exc_tb)
        if self._connection is not None:
            await self.config.broker_config.disconnect()
            try:
                await self._connection.close()
            except pulsar.asyncio.PulsarException:
                await asyncio.to_thread(self._connection.shutdown)
            self._connection = None

    @override
    async def ping(self, timeout: float | None = 5.0) -> bool:
        if self._connection is None:
            return False
        try:
            await asyncio.wait_for(
                self._connection.get_topic_partitions(PING_TOPIC), timeout=timeout or 5.0
            )
        except pulsar.asyncio.PulsarException as e:
            # A role without rights on the ping topic still got an answer.
            return bool(e.error() == pulsar.Result.AuthorizationError)
        except TimeoutError:
            return False
        return True

    @override
    async def publish(
        self,
        message: Any = None,
        topic: str = "",
        *,
        key: str | None = None,
        ordering_key: str | None = None,
        headers: dict[str, str] | None = None,
        correlation_id: str | None = None,
        reply_to: str = "",
        event_time: datetime | None = None,
        deliver_after: timedelta | None = None,
        deliver_at: datetime | None = None,
        sequence_id: int | None = None,
        producer_name: str | None = None,
    ) -> pulsar.MessageId:
        """Publish one message; returns its message id once the broker has stored it.

        Raises PublishError when the broker did not store it (nothing is silently lost).
        """
        cmd = PulsarPublishCommand(
            message,
            topic=topic,
            key=key,
            ordering_key=ordering_key,
            headers=headers,
            correlation_id=correlation_id or self.config.id_generator(),
            reply_to=reply_to,
            event_time=event_time,
            deliver_after=deliver_after,
            deliver_at=deliver_at,
            sequence_id=sequence_id,
            producer_name=producer_name,
            _publish_type=PublishType.PUBLISH,
        )
        result: pulsar.MessageId = await self._basic_publish(cmd, producer=self.config.producer)
        return result

    @override
    async def publish_batch(  # type: ignore[override]
        self,
        *messages: Any,
        topic: str,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        correlation_id: str | None = None,
        producer_name: str | None = None,
    ) -> list[pulsar.MessageId]:
        """Publish many messages with many sends in flight; stored in the given order."""
        cmd = PulsarPublishCommand(
            *messages,
            topic=topic,
            key=key,
            headers=headers,
            correlation_id=correlation_id or self.config.id_generator(),
            producer_name=producer_name,
            _publish_type=PublishType.PUBLISH,
        )
        result: list[pulsar.MessageId] = await self._basic_publish_batch(
            cmd, producer=self.config.producer
        )
        return result

    async def send_many(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[pulsar.MessageId | PublishError]:
        """Send stored bytes (an outbox's events) with many in flight, each stored in the
        given order on its topic; with batching on Apache Pulsar (key-based, for
        Key_Shared consumers), in the given order per topic and key. One result per
        message, its id or the PublishError. FastStream's publish middlewares and
        encoding are skipped: the bytes are final."""
        return await self.config.producer.send_many(messages)  # type: ignore[attr-defined,no-any-return]

    @override
    async def request(self, message: Any, topic: str, /, timeout: float = 0.5) -> Any:
        cmd = PulsarPublishCommand(message, topic=topic, _publish_type=PublishType.REQUEST)
        return await self._basic_request(cmd, producer=self.config.producer)
