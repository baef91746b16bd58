"""A received Pulsar message together with the means to settle it.

pulsar-client settles a message through the consumer that received it, so the raw
message FastStream passes around is this envelope, not ``pulsar.Message`` alone. The
in-memory test broker builds the same envelope around a fake message and a recording
settler, so acknowledgements are observable in tests.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

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
    message: RawMessage
    settler: Settler
    # Set by the failure-capture middleware when the handler raised, so that a
    # reject or a final nack can say why in the dead-lettered copy.
    failure: BaseException | None = field(default=None)

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
        if self.failure is not None:
            properties[DLQ_EXCEPTION_TYPE] = type(self.failure).__qualname__
            properties[DLQ_EXCEPTION_MESSAGE] = str(self.failure)[:_MAX_EXCEPTION_MESSAGE]
        return properties
