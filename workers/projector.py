"""The projector: integration events into the read store, live and by rebuild.

Live: one subscriber on the v2 event stream, where a campaign's events arrive in
aggregate_version order (Key_Shared on Apache Pulsar when several projectors run; within
a process, events of one campaign are applied one after another). Should one still come
before its predecessor (a redelivery), the read store refuses it (``OutOfOrder``) and the
handler nacks it, to be redelivered after a short delay until the predecessor is in.

Rebuild: stop the projectors, then read the v2 stream from its first message, sort each
campaign's events by version and apply them to an emptied read store.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from faststream.exceptions import NackMessage, RejectMessage

from adapters.pulsar import (
    BrokerCapabilities,
    ContextRepo,
    DeadLetterPolicy,
    PulsarBroker,
    PulsarReader,
    PulsarSecurity,
    SubscriptionType,
    current_message,
    raw_body,
)
from adapters.telemetry.metrics import ServiceMetrics, event_label
from adapters.telemetry.tracing import Tracing
from application.ports import ViewStore
from application.projection import (
    ApplyResult,
    IncomingEvent,
    InvalidEvent,
    OutOfOrder,
    decode_event,
)
from application.projector import BatchingProjector, Progress, replay
from application.retry import retry_transient
from contracts import properties as p
from contracts.topics import EVENTS_V2

from . import subscriptions
from .notifications import occurred_at_of

log = logging.getLogger("alpes.projector")

SUBSCRIPTION = subscriptions.PROJECTOR
# A late predecessor gets NEGATIVE_ACK_DELAY * MAX_REDELIVERIES (about 25 s) to arrive
# before the waiting event is dead-lettered.
NEGATIVE_ACK_DELAY = 0.5
MAX_REDELIVERIES = 50


def register(
    broker: PulsarBroker,
    store: ViewStore,
    *,
    concurrency: int = 64,
    subscription: str = SUBSCRIPTION,
    metrics: ServiceMetrics | None = None,
    tracing: Tracing | None = None,
) -> BatchingProjector:
    """Subscribe the projector to the v2 event stream; returns the batcher to close.
    ``metrics``: events projected and the lag from occurred_at to projection;
    ``tracing``: a span per event, the child of the span that published it."""
    projector = BatchingProjector(store)
    broker.subscriber(
        EVENTS_V2,
        subscription=subscription,
        subscription_type=(
            SubscriptionType.KEY_SHARED
            if broker.capabilities.key_shared
            else SubscriptionType.SHARED
        ),
        max_workers=concurrency,
        negative_ack_delay=NEGATIVE_ACK_DELAY,
        dead_letter=DeadLetterPolicy(
            max_redeliveries=MAX_REDELIVERIES,
            initial_subscription=subscriptions.DEAD_LETTER_ADMIN,
        ),
        decoder=raw_body,
        title="eventos.v2",
        description="Projects every campaign event (v2) into the campaign view.",
    )(_handler(projector, broker.context, metrics, tracing, subscription))
    return projector


def _handler(
    projector: BatchingProjector,
    context: ContextRepo,
    metrics: ServiceMetrics | None = None,
    tracing: Tracing | None = None,
    subscription: str = SUBSCRIPTION,
) -> Callable[..., Awaitable[None]]:
    async def project(body: bytes) -> None:
        message = current_message(context)
        name = str(message.headers.get(p.EVENT_TYPE) or "?")
        if tracing is None:
            result = await apply(body, name, message.headers)
        else:
            result = await tracing.consume(
                f"project {event_label(name)}",
                message.headers,
                lambda: apply(body, name, message.headers),
                topic=EVENTS_V2,
                subscription=subscription,
                event_id=str(message.headers.get(p.EVENT_ID) or ""),
                received=message.delivery.received_at,
                outcome="alpes.result",
            )
        if metrics is not None:
            lag = None
            if result is not ApplyResult.DUPLICATE:
                lag = (datetime.now(UTC) - occurred_at_of(message)).total_seconds()
            metrics.projected(name, str(result), lag)

    async def apply(body: bytes, name: str, headers: dict[str, str]) -> ApplyResult:
        try:
            event = decode_event(body, headers)
            result = await retry_transient(
                lambda: projector.apply(event),
                projector.store.is_transient,
                what=f"project {name} {event.event_id}",
            )
        except OutOfOrder as waiting:
            # Routine, not an error: nack without FastStream's error log and traceback,
            # but keep the reason for the dead-lettered copy should the wait run out.
            log.info("%s; redelivery in %.1fs", waiting, NEGATIVE_ACK_DELAY)
            raise NackMessage() from waiting
        except InvalidEvent as invalid:
            log.warning("%s event dead-lettered: %s", name, invalid)
            raise RejectMessage(reason="invalid-event") from invalid
        log.debug("%s %s: %s", name, event.event_id, result)
        return result

    return project


async def rebuild(
    url: str,
    store: ViewStore,
    *,
    capabilities: BrokerCapabilities,
    security: PulsarSecurity | None = None,
    topic: str = EVENTS_V2,
    progress: Progress | None = None,
) -> int:
    """Empty the read store and replay the event stream into it; returns how many events
    changed the view. Stop the live projectors first.

    The stream is read before the store is emptied, so an unreachable broker leaves the
    view as it was; so does a stream that no longer holds every campaign's whole history
    (``IncompleteHistory``)."""
    async with PulsarReader(url, topic, security=security, capabilities=capabilities) as reader:
        messages = await reader.read_all()
    events: list[IncomingEvent] = []
    for message in messages:
        try:
            events.append(decode_event(message.payload, message.properties))
        except ValueError as invalid:  # InvalidEvent, or a body that is not JSON
            log.warning(
                "rebuild: skipped message %s of %s: %s",
                message.message.message_id(),
                message.partition,
                invalid,
            )
    return await replay(store, events, progress)
