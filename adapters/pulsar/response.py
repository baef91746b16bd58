"""Outgoing messages: a handler's ``PulsarResponse`` and the publish command sent to Pulsar."""

from datetime import datetime, timedelta
from typing import Any, Union

from faststream.response.publish_type import PublishType
from faststream.response.response import BatchPublishCommand, PublishCommand, Response
from typing_extensions import override


class PulsarResponse(Response):
    """A message with Pulsar's per-message options.

    Return it from a handler, or pass several to ``publish_batch`` so that each keeps
    its own key, properties and sequence id.
    """

    def __init__(
        self,
        body: Any,
        *,
        key: str | None = None,
        headers: dict[str, Any] | None = None,
        correlation_id: str | None = None,
        event_time: datetime | None = None,
        sequence_id: int | None = None,
    ) -> None:
        super().__init__(body=body, headers=headers, correlation_id=correlation_id)
        self.key = key
        self.event_time = event_time
        self.sequence_id = sequence_id

    @override
    def get_publish_key(self) -> str | None:
        return self.key

    @override
    def as_publish_command(self) -> "PulsarPublishCommand":
        return PulsarPublishCommand(
            self.body,
            topic="",
            key=self.key,
            headers=self.headers,
            correlation_id=self.correlation_id,
            event_time=self.event_time,
            sequence_id=self.sequence_id,
            _publish_type=PublishType.PUBLISH,
        )


class PulsarPublishCommand(BatchPublishCommand):
    def __init__(
        self,
        message: Any,
        /,
        *messages: Any,
        topic: str,
        _publish_type: PublishType,
        key: str | None = None,
        ordering_key: str | None = None,
        headers: dict[str, Any] | None = None,
        correlation_id: str | None = None,
        reply_to: str = "",
        event_time: datetime | None = None,
        deliver_after: timedelta | None = None,
        deliver_at: datetime | None = None,
        sequence_id: int | None = None,
        producer_name: str | None = None,
    ) -> None:
        super().__init__(
            message,
            *messages,
            destination=topic,
            reply_to=reply_to,
            correlation_id=correlation_id,
            headers=headers,
            _publish_type=_publish_type,
        )
        self.key = key
        self.ordering_key = ordering_key
        self.event_time = event_time
        self.deliver_after = deliver_after
        self.deliver_at = deliver_at
        self.sequence_id = sequence_id
        self.producer_name = producer_name

    @property
    def is_delayed(self) -> bool:
        return self.deliver_after is not None or self.deliver_at is not None

    @classmethod
    def from_cmd(
        cls,
        cmd: Union[PublishCommand, "PulsarPublishCommand"],
        *,
        batch: bool = False,
    ) -> "PulsarPublishCommand":
        if isinstance(cmd, PulsarPublishCommand):
            return cmd
        body, extra_bodies = cls._parse_bodies(cmd.body, batch=batch)
        return cls(
            body,
            *extra_bodies,
            topic=cmd.destination,
            key=cmd.get_publish_key(),
            headers=cmd.headers,
            correlation_id=cmd.correlation_id,
            reply_to=cmd.reply_to,
            _publish_type=cmd.publish_type,
        )
