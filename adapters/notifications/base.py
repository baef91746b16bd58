"""What a notification is, and the port that sends one."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Notification:
    """A message for people about one integration event."""

    event_id: str  # the event's stable id: a resent notification carries the same one
    event_type: str  # e.g. "campana-creada"
    campana_id: str | None  # None for a rejected command that named no campaign
    subject: str  # one line
    text: str  # the body, plain text
    occurred_at: datetime  # when the event happened (UTC)

    def as_json(self) -> dict[str, str | None]:
        """The fields as JSON-ready values (``occurred_at`` as ISO-8601)."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "campana_id": self.campana_id,
            "subject": self.subject,
            "text": self.text,
            "occurred_at": self.occurred_at.isoformat(),
        }


class NotificationSender(Protocol):
    async def send(self, notification: Notification) -> None:
        """Deliver ``notification``, or raise: a notification that returned is delivered."""
        ...


class NotificationSendError(ConnectionError):
    """A notification could not be delivered (the cause is chained)."""
