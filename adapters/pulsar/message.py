"""FastStream's view of a Pulsar message, and how each settlement maps onto Pulsar."""

import json

import pydantic
from faststream._internal.context.repository import ContextRepo
from faststream.message import StreamMessage

from .delivery import Delivery

# Failures that no redelivery can cure: the same bytes will fail the same way.
FINAL_FAILURES: tuple[type[BaseException], ...] = (
    pydantic.ValidationError,
    json.JSONDecodeError,
    UnicodeDecodeError,
)


class PulsarMessage(StreamMessage[Delivery]):
    """ack -> acknowledge; nack -> negative acknowledge (redelivered after the subscriber's
    nack delay), or the dead-letter topic once the redeliveries are spent or the failure
    is final; reject -> a copy to the dead-letter topic with the reason, then acknowledge.
    """

    async def ack(self) -> None:
        if self.committed is None:
            await self.raw_message.settler.ack(self.raw_message.message)
        await super().ack()

    async def nack(self) -> None:
        if self.committed is None:
            delivery = self.raw_message
            limit = delivery.settler.max_redeliveries
            if isinstance(delivery.failure, FINAL_FAILURES):
                await self._dead_letter("undecodable")
                return
            if limit is not None and delivery.message.redelivery_count() >= limit:
                await self._dead_letter("max-redeliveries")
                return
            await delivery.settler.nack(delivery.message)
        await super().nack()

    async def reject(self, reason: str = "rejected") -> None:
        if self.committed is None:
            await self._dead_letter(reason)
            return
        await super().reject()

    async def _dead_letter(self, reason: str) -> None:
        delivery = self.raw_message
        await delivery.settler.dead_letter(delivery.message, delivery.dead_letter_reason(reason))
        await super().reject()


def current_message(context: ContextRepo) -> PulsarMessage:
    """The message being handled, for handlers that take only the body.

    Cheaper than a ``Context()`` parameter: fast_depends resolves that synchronous
    field through a thread pool on every message.
    """
    message = context.get_local("message")
    if not isinstance(message, PulsarMessage):
        msg = "No Pulsar message is being handled here (call this inside a handler)."
        raise RuntimeError(msg)
    return message
