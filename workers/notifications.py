"""The notification worker (the seed's `notificacion`): tells people what happened.

One subscriber on the v2 event stream, on the subscription ``alpes-notificaciones``, turns
each event into a ``Notification`` (the rules: ``application.notifications``) and hands
it to a ``NotificationSender`` (a log and JSON-lines file by default, or e-mail). A send
that fails raises, so the event is nacked and redelivered, and dead-lettered once its
redeliveries are spent; a body that breaks the contract is dead-lettered at once.

Delivery is at least once. Event ids recently notified are remembered in memory, so a
redelivery (an acknowledgement lost, a relay that sent twice) is skipped; after a
restart that memory is gone, and an event delivered again is notified again. An e-mail
sent twice carries the same Message-ID.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from faststream.exceptions import RejectMessage

from adapters.pulsar import (
    ContextRepo,
    DeadLetterPolicy,
    PulsarBroker,
    PulsarMessage,
    current_message,
    raw_body,
)
from adapters.telemetry.metrics import ServiceMetrics, event_label
from adapters.telemetry.tracing import Tracing
from application.notifications import (
    NotificationSender,
    RecentIds,
    UnknownEventType,
    notification_of,
    occurred_at,
)
from contracts import properties as p
from contracts.topics import EVENTS_V2
from contracts.v2 import EVENTS

from . import subscriptions

log = logging.getLogger("alpes.notifications")

SUBSCRIPTION = subscriptions.NOTIFICATIONS
NOTIFICATION_FILE = "notifications.jsonl"  # in the data folder, unless configured


def register(
    broker: PulsarBroker,
    sender: NotificationSender,
    *,
    subscription: str = SUBSCRIPTION,
    recent: RecentIds | None = None,
    metrics: ServiceMetrics | None = None,
    tracing: Tracing | None = None,
) -> None:
    """Subscribe the notification handler to the v2 event stream of ``broker``.
    ``metrics``: notifications sent; ``tracing``: a span per event, the child of the
    span that published it."""
    seen = recent if recent is not None else RecentIds()
    broker.subscriber(
        EVENTS_V2,
        subscription=subscription,
        dead_letter=DeadLetterPolicy(initial_subscription=subscriptions.DEAD_LETTER_ADMIN),
        decoder=raw_body,
        title="notify-eventos.v2",
        description="Notifies every campaign event (v2).",
    )(_handler(EVENTS_V2, sender, seen, broker.context, metrics, tracing, subscription))


def _handler(
    topic: str,
    sender: NotificationSender,
    recent: RecentIds,
    context: ContextRepo,
    metrics: ServiceMetrics | None = None,
    tracing: Tracing | None = None,
    subscription: str = SUBSCRIPTION,
) -> Callable[..., Awaitable[None]]:
    async def notify(body: bytes) -> None:
        message = current_message(context)
        name = str(message.headers.get(p.EVENT_TYPE) or "")
        if tracing is None:
            sent = await deliver(body, name, message)
        else:
            sent = await tracing.consume(
                f"notify {event_label(name)}",
                message.headers,
                lambda: deliver(body, name, message),
                topic=topic,
                subscription=subscription,
                event_id=str(message.headers.get(p.EVENT_ID) or ""),
                received=message.delivery.received_at,
                outcome="alpes.sent",
            )
        if sent and metrics is not None:
            metrics.notified(name)

    async def deliver(body: bytes, name: str, message: PulsarMessage) -> bool:
        """True once sent; False for an event already notified."""
        if name not in EVENTS:
            log.warning("event dead-lettered: %s", UnknownEventType(name))
            raise RejectMessage(reason="unknown-event-type") from UnknownEventType(name)
        event_id = str(message.headers.get(p.EVENT_ID) or f"{topic}@{message.message_id}")
        if event_id in recent:
            log.info("%s %s already notified; skipped", name, event_id)
            return False
        notification = notification_of(
            name, body, event_id=event_id, occurred_at=occurred_at_of(message)
        )
        await sender.send(notification)
        recent.add(event_id)
        return True

    return notify


def occurred_at_of(message: PulsarMessage) -> datetime:
    """The event's ``occurred_at`` property, or the time it was published."""
    raw = message.raw_message.message
    return occurred_at(raw.properties().get(p.OCCURRED_AT), raw.publish_timestamp())
