"""A received Pulsar message together with the means to settle it.

pulsar-client settles a message through the consumer that received it, so the raw
message FastStream passes around is this envelope, not ``pulsar.Message`` alone. The
in-memory test broker builds the same envelope around a fake message and a recording
settler, so acknowledgements are observable in tests.
"""

import json
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import pydantic

# Properties a dead-lettered copy carries. The first two are Pulsar's own names (its
# client-side dead-letter policy sets them too), so Pulsar tooling reads them.
DLQ_REAL_TOPIC = "REAL_TOPIC"
DLQ_ORIGIN_MESSAGE_ID = "ORIGIN_MESSAGE_ID"
DLQ_SUBSCRIPTION = "DLQ_SUBSCRIPTION"
DLQ_REASON = "DLQ_REASON"
DLQ_EXCEPTION_TYPE = "DLQ_EXCEPTION_TYPE"
DLQ_EXCEPTION_MESSAGE = "DLQ_EXCEPTION_MESSAGE"
DLQ_ATTEMPTS = "DLQ_ATTEMPTS"
DLQ_AT = "DLQ_AT"

_MAX_EXCEPTION_MESSAGE = 2000

# Failures that no redelivery can cure: the same bytes will fail the same way.
FINAL_FAILURES: tuple[type[BaseException], ...] = (
    pydantic.ValidationError,
    json.JSONDecodeError,
    UnicodeDecodeError,
)


# Told of every message parked on a dead-letter topic, with the properties the copy got
# (DLQ_SUBSCRIPTION, DLQ_REASON, DLQ_REAL_TOPIC...), once the copy is stored: metrics.
DeadLetterHook = Callable[[Mapping[str, str]], None]


class RawMessage(Protocol):
    """The part of ``pulsar.Message`` the adapter reads (the test broker fakes it)."""

    def data(self) -> bytes: ...
    def properties(self) -> dict[str, str]: ...
    def partition_key(self) -> str: ...
    def ordering_key(self) -> str: ...
    def message_id(self) -> Any: ...
    def topic_name(self) -> str: ...
    def redelivery_count(self) -> int: ...
    def event_timestamp(self) -> int: ...
    def publish_timestamp(self) -> int: ...


class Settler(Protocol):
    """Settles messages of one subscription: the consumer's side of ack/nack/reject."""

    subscription: str
    max_redeliveries: int | None

    async def ack(self, message: RawMessage) -> None: ...
    async def nack(self, message: RawMessage) -> None: ...
    async def dead_letter(self, message: RawMessage, reason: dict[str, str]) -> None: ...


@dataclass(slots=True)
class Delivery:
    """One received message. Settling it more than once does nothing: the first
    settlement wins (a batch handler settles some messages itself and leaves the rest
    to the ack policy).

    ack -> acknowledge; nack -> negative acknowledge (redelivered after the subscriber's
    nack delay), or the dead-letter topic once the redeliveries are spent or the failure
    is final; reject -> a copy to the dead-letter topic with the reason, then acknowledge.

    A handler that gives up on a message says why with the error itself, and the
    dead-lettered copy carries its type and text::

        except StockError as exc:
            await delivery.reject("out-of-stock", error=exc)  # parked at once
        except DatabaseDown as exc:
            await delivery.nack(error=exc)  # again later; parked once retries are spent
    """

    message: RawMessage
    settler: Settler
    # Why the handler failed: given to nack/reject, or recorded by the failure-capture
    # middleware when the handler raised. Read it as ``failure``.
    _failure: BaseException | None = field(default=None, init=False, repr=False)
    settled: bool = field(default=False)
    # When this consumer received it (time.monotonic()): how long it has been in hand.
    received_at: float = field(default_factory=time.monotonic, repr=False)

    async def ack(self) -> None:
        """Acknowledge: the subscription is done with this message."""
        if not self.settled:
            self.settled = True
            await self.settler.ack(self.message)

    async def nack(self, *, error: BaseException | None = None) -> bool:
        """Negative acknowledge: the message comes again after the nack delay. ``error``
        is why; it goes with the message to the dead-letter topic should this be its
        last attempt, or at once when no redelivery can cure it (a body that does not
        decode or validate). True if the message went to the dead-letter topic."""
        if self.settled:
            return False
        if error is not None:
            self._failure = error
        limit = self.settler.max_redeliveries
        if isinstance(self._failure, FINAL_FAILURES):
            await self.reject("undecodable")
            return True
        if limit is not None and self.message.redelivery_count() >= limit:
            await self.reject("max-redeliveries")
            return True
        self.settled = True
        await self.settler.nack(self.message)
        return False

    async def reject(self, reason: str = "rejected", *, error: BaseException | None = None) -> None:
        """A copy to the dead-letter topic, then acknowledge. ``reason`` becomes its
        ``DLQ_REASON``; ``error``, its ``DLQ_EXCEPTION_TYPE`` and ``DLQ_EXCEPTION_MESSAGE``."""
        if self.settled:
            return
        if error is not None:
            self._failure = error
        self.settled = True
        await self.settler.dead_letter(self.message, self.dead_letter_reason(reason))

    def record_failure(self, error: BaseException) -> None:
        """Remember why the handler failed, for the settlement that follows (the
        failure-capture middleware calls this when a handler raises). Settles nothing."""
        self._failure = error

    @property
    def failure(self) -> BaseException | None:
        """Why the handler failed, if it did (None otherwise)."""
        return self._failure

    @failure.setter
    def failure(self, error: BaseException | None) -> None:
        warnings.warn(
            "Setting Delivery.failure is deprecated: pass the error to the settlement "
            "instead, delivery.nack(error=exc) or delivery.reject(reason, error=exc).",
            DeprecationWarning,
            stacklevel=2,
        )
        self._failure = error

    @property
    def attempt(self) -> int:
        """1 on the first delivery, 2 on the first redelivery, and so on."""
        return self.message.redelivery_count() + 1

    @property
    def key(self) -> str | None:
        return self.message.partition_key() or None

    def dead_letter_reason(self, reason: str) -> dict[str, str]:
        properties = {
            DLQ_REAL_TOPIC: self.message.topic_name(),
            DLQ_ORIGIN_MESSAGE_ID: str(self.message.message_id()),
            DLQ_SUBSCRIPTION: self.settler.subscription,
            DLQ_REASON: reason,
            DLQ_ATTEMPTS: str(self.attempt),
            DLQ_AT: datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        if self._failure is not None:
            properties[DLQ_EXCEPTION_TYPE] = type(self._failure).__qualname__
            properties[DLQ_EXCEPTION_MESSAGE] = str(self._failure)[:_MAX_EXCEPTION_MESSAGE]
        return properties


@dataclass(slots=True)
class DeliveryBatch:
    """Messages a batch subscriber received together, in the order received.

    When the handler raises for the batch as a whole, nobody knows which message was at
    fault: a batch of several is then split, each unsettled message handled again alone
    (``split``), so that one bad message fails by itself and the others go through.
    """

    deliveries: list[Delivery]
    failure: BaseException | None = field(default=None)
    split: bool = field(default=False)

    def keys(self) -> set[str]:
        return {key for d in self.deliveries if (key := d.key) is not None}

    def unsettled(self) -> list[Delivery]:
        return [d for d in self.deliveries if not d.settled]

    def fail(self, failure: BaseException) -> None:
        """The handler raised (recorded by the failure-capture middleware)."""
        self.failure = failure
