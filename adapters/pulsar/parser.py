"""Pulsar message <-> FastStream message: which properties carry FastStream's metadata."""

from faststream._internal.basic_types import DecodedMessage
from faststream.message import StreamMessage, decode_message

from .delivery import Delivery, DeliveryBatch
from .message import PulsarBatchMessage, PulsarMessage

CONTENT_TYPE = "content-type"
CORRELATION_ID = "correlation_id"
REPLY_TO = "reply_to"


class PulsarParser:
    __slots__ = ()

    async def parse_message(self, delivery: Delivery) -> PulsarMessage:
        raw = delivery.message
        properties = raw.properties()
        message_id = str(raw.message_id())
        return PulsarMessage(
            raw_message=delivery,
            body=raw.data(),
            headers=properties,
            content_type=properties.get(CONTENT_TYPE),
            # Without one, the message's own id (FastStream would draw a uuid4 each time).
            correlation_id=properties.get(CORRELATION_ID) or message_id,
            reply_to=properties.get(REPLY_TO, ""),
            message_id=message_id,
        )

    async def decode_message(self, msg: StreamMessage[Delivery]) -> DecodedMessage:
        return decode_message(msg)

    async def parse_batch(self, batch: DeliveryBatch) -> PulsarBatchMessage:
        """One FastStream message for the whole batch: ``body`` and ``batch_headers``
        hold each message's payload and properties, in the order received."""
        messages = [d.message for d in batch.deliveries]
        headers = [m.properties() for m in messages]
        first = headers[0]
        message_id = str(messages[0].message_id())
        return PulsarBatchMessage(
            raw_message=batch,
            body=[m.data() for m in messages],
            headers=first,
            batch_headers=headers,
            content_type=first.get(CONTENT_TYPE),
            correlation_id=first.get(CORRELATION_ID) or message_id,
            message_id=message_id,
        )

    async def decode_batch(self, msg: StreamMessage[DeliveryBatch]) -> DecodedMessage:
        """Each payload decoded as FastStream decodes a single message's."""
        return [
            decode_message(
                StreamMessage(raw_message=d, body=body, content_type=h.get(CONTENT_TYPE))
            )
            for d, body, h in zip(
                msg.raw_message.deliveries, msg.body, msg.batch_headers, strict=True
            )
        ]
