"""FastStream's view of Pulsar messages: one message, or a batch of them. Settlement
itself is the delivery's (see delivery.Delivery)."""

from typing import TypeVar

from faststream._internal.context.repository import ContextRepo
from faststream.message import StreamMessage

from .delivery import FINAL_FAILURES, Delivery, DeliveryBatch

__all__ = (
    "FINAL_FAILURES",
    "PulsarBatchMessage",
    "PulsarMessage",
    "current_batch",
    "current_message",
)


class PulsarMessage(StreamMessage[Delivery]):
    async def ack(self) -> None:
        if self.committed is None:
            await self.raw_message.ack()
        await super().ack()

    async def nack(self) -> None:
        if self.committed is None and await self.raw_message.nack():
            await super().reject()
            return
        await super().nack()

    async def reject(self, reason: str = "rejected") -> None:
        if self.committed is None:
            await self.raw_message.reject(reason)
        await super().reject()


class PulsarBatchMessage(StreamMessage[DeliveryBatch]):
    """A batch. The handler may settle messages one by one (``deliveries[i].ack()``,
    ``.nack()``, ``.reject(reason)``); whatever it leaves unsettled follows the ack
    policy for the batch as a whole."""

    @property
    def deliveries(self) -> list[Delivery]:
        return self.raw_message.deliveries

    async def ack(self) -> None:
        if self.committed is None:
            for delivery in self.deliveries:
                await delivery.ack()
        await super().ack()

    async def nack(self) -> None:
        if self.committed is None:
            for delivery in self.deliveries:
                await delivery.nack()
        await super().nack()

    async def reject(self, reason: str = "rejected") -> None:
        if self.committed is None:
            for delivery in self.deliveries:
                await delivery.reject(reason)
        await super().reject()


M = TypeVar("M", PulsarMessage, PulsarBatchMessage)


def current_message(context: ContextRepo) -> PulsarMessage:
    """The message being handled, for handlers that take only the body.

    Cheaper than a ``Context()`` parameter: fast_depends resolves that synchronous
    field through a thread pool on every message.
    """
    return _current(context, PulsarMessage)


def current_batch(context: ContextRepo) -> PulsarBatchMessage:
    """The batch being handled, in a batch subscriber's handler."""
    return _current(context, PulsarBatchMessage)


def _current(context: ContextRepo, kind: type[M]) -> M:
    message = context.get_local("message")
    if not isinstance(message, kind):
        msg = f"No {kind.__name__} is being handled here (call this inside its handler)."
        raise RuntimeError(msg)
    return message
