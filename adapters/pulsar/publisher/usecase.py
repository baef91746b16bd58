from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Union

import pulsar
from faststream._internal.endpoint.publisher import PublisherUsecase
from faststream.response.publish_type import PublishType
from typing_extensions import override

from ..response import PulsarPublishCommand

if TYPE_CHECKING:
    from faststream._internal.endpoint.publisher import PublisherSpecification
    from faststream._internal.types import PublisherMiddleware
    from faststream.response.response import PublishCommand

    from ..broker.config import PulsarBrokerConfig
    from .config import PulsarPublisherConfig


class PulsarPublisher(PublisherUsecase):
    """Publishes to one topic; also what ``@publisher`` sends a handler's result with."""

    _outer_config: "PulsarBrokerConfig"

    def __init__(
        self,
        config: "PulsarPublisherConfig",
        specification: "PublisherSpecification[Any, Any]",
    ) -> None:
        super().__init__(config, specification)
        self._topic = config.topic
        self.headers = config.headers or {}
        self.producer_name = config.producer_name

    @property
    def topic(self) -> str:
        return f"{self._outer_config.prefix}{self._topic}"

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
        event_time: datetime | None = None,
        deliver_after: timedelta | None = None,
        deliver_at: datetime | None = None,
        sequence_id: int | None = None,
    ) -> pulsar.MessageId:
        cmd = PulsarPublishCommand(
            message,
            topic=topic or self.topic,
            key=key,
            ordering_key=ordering_key,
            headers=self.headers | (headers or {}),
            correlation_id=correlation_id or self._outer_config.id_generator(),
            event_time=event_time,
            deliver_after=deliver_after,
            deliver_at=deliver_at,
            sequence_id=sequence_id,
            producer_name=self.producer_name,
            _publish_type=PublishType.PUBLISH,
        )
        result: pulsar.MessageId = await self._basic_publish(
            cmd, producer=self._outer_config.producer, _extra_middlewares=()
        )
        return result

    async def publish_batch(
        self,
        *messages: Any,
        topic: str = "",
        key: str | None = None,
        headers: dict[str, str] | None = None,
        correlation_id: str | None = None,
    ) -> list[pulsar.MessageId]:
        """Publish many messages with many sends in flight, stored in the given order.

        Pass ``PulsarResponse`` objects to give each its own key, headers or sequence id.
        """
        cmd = PulsarPublishCommand(
            *messages,
            topic=topic or self.topic,
            key=key,
            headers=self.headers | (headers or {}),
            correlation_id=correlation_id or self._outer_config.id_generator(),
            producer_name=self.producer_name,
            _publish_type=PublishType.PUBLISH,
        )
        result: list[pulsar.MessageId] = await self._basic_publish_batch(
            cmd, producer=self._outer_config.producer, _extra_middlewares=()
        )
        return result

    @override
    async def _publish(
        self,
        cmd: Union["PublishCommand", PulsarPublishCommand],
        *,
        _extra_middlewares: Iterable["PublisherMiddleware"],
    ) -> None:
        """Called in the subscriber flow only, with the handler's result."""
        cmd = PulsarPublishCommand.from_cmd(cmd)
        cmd.destination = cmd.destination or self.topic
        cmd.add_headers(self.headers, override=False)
        cmd.producer_name = cmd.producer_name or self.producer_name
        await self._basic_publish(
            cmd, producer=self._outer_config.producer, _extra_middlewares=_extra_middlewares
        )

    @override
    async def request(self, message: Any = None, topic: str = "", **kwargs: Any) -> Any:
        cmd = PulsarPublishCommand(
            message, topic=topic or self.topic, _publish_type=PublishType.REQUEST
        )
        return await self._basic_request(cmd, producer=self._outer_config.producer)
