"""Bodies to Pulsar messages: the codec's bytes and content type, and the properties
FastStream's metadata travels in.

A ``PulsarResponse`` among the bodies brings its own key, headers, correlation id,
sequence id and event time; the rest come from the publish command. A batch is encoded
in one call to the codec's ``encode_batch`` when it is a batch codec (FastStream's
``BatchCodecProto``), as FastStream's own brokers do, else body by body.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from faststream._internal.parser import BatchCodecProto

from ..parser import CONTENT_TYPE, CORRELATION_ID, REPLY_TO
from ..response import PulsarPublishCommand, PulsarResponse

if TYPE_CHECKING:
    from fast_depends.library.serializer import SerializerProto
    from faststream._internal.parser import CodecProto


@dataclass(frozen=True, slots=True)
class EncodedMessage:
    """One body of a publish, encoded: what is handed to the client's send."""

    payload: bytes
    properties: dict[str, str]
    key: str | None
    sequence_id: int | None
    event_time: datetime | None


async def encode(
    cmd: PulsarPublishCommand, codec: "CodecProto", serializer: Optional["SerializerProto"]
) -> EncodedMessage:
    """The command's one body, encoded."""
    body, options = _unwrap(cmd.body, cmd)
    payload, content_type = await codec.encode(body, serializer)
    return options.encoded(payload, content_type)


async def encode_batch(
    cmd: PulsarPublishCommand, codec: "CodecProto", serializer: Optional["SerializerProto"]
) -> list[EncodedMessage]:
    """Every body of a batch command, encoded, in order."""
    unwrapped = [_unwrap(body, cmd) for body in cmd.batch_bodies]
    bodies = [body for body, _ in unwrapped]
    encoded: Sequence[tuple[bytes, str | None]]
    if isinstance(codec, BatchCodecProto):
        encoded = await codec.encode_batch(bodies, serializer)
        if len(encoded) != len(bodies):
            msg = (
                f"{type(codec).__name__}.encode_batch returned {len(encoded)} messages for "
                f"{len(bodies)} bodies: it must return one (payload, content type) per "
                "body, in the order given."
            )
            raise ValueError(msg)
    else:
        encoded = [await codec.encode(body, serializer) for body in bodies]
    return [
        options.encoded(payload, content_type)
        for (_, options), (payload, content_type) in zip(unwrapped, encoded, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class _Options:
    """A body's Pulsar options: the command's, overridden by its PulsarResponse's."""

    headers: dict[str, Any]
    correlation_id: str | None
    reply_to: str
    key: str | None
    sequence_id: int | None
    event_time: datetime | None

    def encoded(self, payload: bytes, content_type: str | None) -> EncodedMessage:
        properties = {str(k): str(v) for k, v in self.headers.items()}
        if content_type:
            properties[CONTENT_TYPE] = content_type
        if self.correlation_id:
            properties[CORRELATION_ID] = self.correlation_id
        if self.reply_to:
            properties[REPLY_TO] = self.reply_to
        return EncodedMessage(payload, properties, self.key, self.sequence_id, self.event_time)


def _unwrap(body: Any, cmd: PulsarPublishCommand) -> tuple[Any, _Options]:
    if isinstance(body, PulsarResponse):
        return body.body, _Options(
            headers=cmd.headers | body.headers,
            correlation_id=body.correlation_id or cmd.correlation_id,
            reply_to=cmd.reply_to,
            key=body.key or cmd.key,
            sequence_id=body.sequence_id if body.sequence_id is not None else cmd.sequence_id,
            event_time=body.event_time or cmd.event_time,
        )
    return body, _Options(
        headers=dict(cmd.headers),
        correlation_id=cmd.correlation_id,
        reply_to=cmd.reply_to,
        key=cmd.key,
        sequence_id=cmd.sequence_id,
        event_time=cmd.event_time,
    )
