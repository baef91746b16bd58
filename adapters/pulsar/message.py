"""FastStream's view of Pulsar messages: one message, or a batch of them. Settlement
itself is the delivery's (see delivery.Delivery)."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from faststream._internal.context.repository import ContextRepo
from faststream.message import StreamMessage

from .delivery import Delivery, DeliveryBatch

__all__ = (
    "PulsarBatchMessage",
    "PulsarMessage",
    "current_batch",
    "current_message",
)


class PulsarMessage(StreamMessage[Delivery]):
    """One Pulsar message as FastStream hands it to a handler.

    ``nack`` and ``reject`` take the error that made the handler give up, which the
    dead-lettered copy names; so do ``NackMessage(error=exc)`` and
    ``RejectMessage(reason=..., error=exc)``, or either raised ``from exc``.
    """

    @property
    def delivery(self) -> Delivery:
        """The received message with its settlement (ack / nack / reject)."""
        return self.raw_message

    async def ack(self) -> None:
        if self.committed is None:
            await self.raw_message.ack()
        await super().ack()

    async def nack(self, *, error: BaseException | None = None) -> None:
        """Negative acknowledge (see ``Delivery.nack``): redelivered later, or
        dead-lettered once its redeliveries are spent."""
        if self.committed is None and await self.raw_message.nack(error=error):
            await super().reject()
            return
        await super().nack()

    async def reject(self, reason: str = "rejected", *, error: BaseException | None = None) -> None:
        """To the dead-letter topic with ``reason`` (and ``error``), then acknowledge."""
        if self.committed is None:
            await self.raw_message.reject(reason, error=error)
        await super().reject()


class PulsarBatchMessage(StreamMessage[DeliveryBatch]):
    """A batch. The handler may settle messages one by one (``deliveries[i].ack()``,
    ``.nack()``, ``.reject(reason)``); whatever it leaves unsettled follows the ack
    policy for the batch as a whole, except after a failure of the handler: then the
    unsettled messages of a batch of several are split off and handled again one by one
    (see DeliveryBatch), and a lone message is settled as a single message would be."""

    @property
    def deliveries(self) -> list[Delivery]:
        return self.raw_message.deliveries

    async def ack(self) -> None:
        if self.committed is None:
            await _settle_each(self.raw_message.unsettled(), lambda d: d.ack())
        await super().ack()

    async def nack(self, *, error: BaseException | None = None) -> None:
        """Negative acknowledge every message the handler left unsettled."""
        if self.committed is None and not self._split():
            await _settle_each(self.raw_message.unsettled(), lambda d: d.nack(error=error))
        await super().nack()

    async def reject(self, reason: str = "rejected", *, error: BaseException | None = None) -> None:
        """Dead-letter every message the handler left unsettled, with ``reason``."""
        if self.committed is None and not self._split():
            await _settle_each(
                self.raw_message.unsettled(), lambda d: d.reject(reason, error=error)
            )
        await super().reject()

    def _split(self) -> bool:
        """After the handler failed: True if the batch is to be split, else the failure
        becomes the lone unsettled message's own."""
        batch = self.raw_message
        if batch.failure is None:
            return False  # settled on purpose by the handler, not after a failure
        unsettled = batch.unsettled()
        if len(unsettled) > 1:
            batch.split = True
            return True
        for delivery in unsettled:
            if delivery.failure is None:
                delivery.record_failure(batch.failure)
        return False


async def _settle_each(
    deliveries: list[Delivery], settle: Callable[[Delivery], Awaitable[object]]
) -> None:
    """Settle every one even if some settlement fails; then raise the first failure."""
    errors = []
    for delivery in deliveries:
        try:
            await settle(delivery)
        except Exception as error:
            errors.append(error)
    if errors:
        raise errors[0]


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
