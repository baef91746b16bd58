"""Pulsar message <-> FastStream message: which properties carry FastStream's metadata."""

from faststream._internal.basic_types import DecodedMessage
from faststream.message import StreamMessage, decode_message

from .delivery import Delivery
from .message import PulsarMessage

CONTENT_TYPE = "content-type"
CORRELATION_ID = "correlation_id"
REPLY_TO = "reply_to"


class PulsarParser:
    __slots__ = ()

    async def parse_message(self, delivery: Delivery) -> PulsarMessage:
        raw = delivery.message
        properties = raw.properties()
        return PulsarMessage(
            raw_message=delivery,
            body=raw.data(),
            headers=properties,
            content_type=properties.get(CONTENT_TYPE),
            correlation_id=properties.get(CORRELATION_ID),
            reply_to=properties.get(REPLY_TO, ""),
            message_id=str(raw.message_id()),
        )

    async def decode_message(self, msg: StreamMessage[Delivery]) -> DecodedMessage:
        return decode_message(msg)
