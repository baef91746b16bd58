"""The projector: integration events into the read store, live and by rebuild.

Live: one subscriber on the v2 event stream, where a campaign's events arrive in
aggregate_version order (Key_Shared on Apache Pulsar when several projectors run; within
a process, events of one campaign are applied one after another). Should one still come
before its predecessor (a redelivery), the read store refuses it (``OutOfOrder``) and the
handler nacks it, to be redelivered after a short delay until the predecessor is in.

Rebuild: stop the projectors, then read the v2 stream from its first message, sort each
campaign's events by version and apply them to an emptied read store.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulsar
import pulsar.asyncio
from faststream._internal.context.repository import ContextRepo
from faststream.exceptions import NackMessage, RejectMessage
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.errors import is_transient
from adapters.database.read_store import (
    REJECTED,
    ApplyResult,
    InvalidEvent,
    OutOfOrder,
    apply_event,
    reset,
)
from adapters.database.read_store_batch import BatchConflict, IncomingEvent, apply_events
from adapters.pulsar import (
    BrokerCapabilities,
    DeadLetterPolicy,
    PulsarBroker,
    PulsarSecurity,
    SubscriptionType,
)
from adapters.pulsar.decoders import raw_body
from adapters.pulsar.message import current_message
from contracts import properties as p
from contracts.topics import EVENTS_V2

from .group_commit import GroupCommit
from .retry import retry_transient

log = logging.getLogger("alpes.projector")

SUBSCRIPTION = "alpes-projector"
# A late predecessor gets NEGATIVE_ACK_DELAY * MAX_REDELIVERIES (about 25 s) to arrive
# before the waiting event is dead-lettered.
NEGATIVE_ACK_DELAY = 0.5
MAX_REDELIVERIES = 50




class BatchingProjector:
    """Events in micro-batches: one transaction per batch, one result per event; a
    conflict with another projector falls back to one transaction per event."""

    def __init__(self, engine: AsyncEngine, *, max_batch: int = 500) -> None:
        self._engine = engine
        self._group: GroupCommit[IncomingEvent, ApplyResult] = GroupCommit(
            self._process, max_batch=max_batch
        )

    async def apply(self, event: "ReceivedEvent") -> ApplyResult:
        return await self._group.submit(
            IncomingEvent(event.event_type, event.event_id, event.aggregate_version, event.body)
        )

    async def close(self) -> None:
        await self._group.close()

    async def _process(self, events: list[IncomingEvent]) -> list[ApplyResult | BaseException]:
        try:
            return list(await apply_events(self._engine, events))
        except BatchConflict:
            return list(
                await asyncio.gather(
                    *(
                        apply_event(
                            self._engine, e.event_type, e.event_id, e.aggregate_version, e.body
                        )
                        for e in events
                    ),
                    return_exceptions=True,
                )
            )


def register(
    broker: PulsarBroker,
    engine: AsyncEngine,
    *,
    concurrency: int = 64,
    subscription: str = SUBSCRIPTION,
) -> BatchingProjector:
    """Subscribe the projector to the v2 event stream; returns the batcher to close."""
    projector = BatchingProjector(engine)
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
        dead_letter=DeadLetterPolicy(max_redeliveries=MAX_REDELIVERIES),
        decoder=raw_body,
        title="eventos.v2",
        description="Projects every campaign event (v2) into the campaign view.",
    )(_handler(projector, broker.context))
    return projector


def _handler(projector: BatchingProjector, context: ContextRepo) -> Callable[..., Awaitable[None]]:
    async def project(body: bytes) -> None:
        message = current_message(context)
        name = str(message.headers.get(p.EVENT_TYPE) or "?")
        try:
            event = decode_event(body, message.headers)
            result = await retry_transient(
                lambda: projector.apply(event),
                is_transient,
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

    return project


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    event_type: str
    event_id: str
    aggregate_version: int | None
    body: dict[str, Any]

    @property
    def campana_id(self) -> str:
        return str(self.body.get("campana_id") or "")


def decode_event(payload: bytes, properties: Mapping[str, str]) -> ReceivedEvent:
    """The event a message of the v2 stream carries; ``InvalidEvent`` when its properties
    break the contract. A body that is not JSON raises ``JSONDecodeError``."""
    event_type = properties.get(p.EVENT_TYPE)
    if not event_type:
        msg = f"the message has no {p.EVENT_TYPE} property: which event it is is unknown"
        raise InvalidEvent(msg)
    event_id = properties.get(p.EVENT_ID)
    if not event_id:
        msg = f"{event_type} has no {p.EVENT_ID} property: it cannot be deduplicated"
        raise InvalidEvent(msg)
    raw_version = properties.get(p.AGGREGATE_VERSION)
    try:
        version = None if raw_version in (None, "") else int(raw_version)
    except ValueError as e:
        msg = f"{event_type} {event_id} has {p.AGGREGATE_VERSION}={raw_version!r}; expected an int"
        raise InvalidEvent(msg) from e
    body = json.loads(payload)
    if not isinstance(body, dict):
        msg = f"{event_type} {event_id} body is a JSON {type(body).__name__}, not an object"
        raise InvalidEvent(msg)
    return ReceivedEvent(event_type, event_id, version, body)


async def rebuild(
    url: str,
    engine: AsyncEngine,
    *,
    capabilities: BrokerCapabilities,
    security: PulsarSecurity | None = None,
    topic: str = EVENTS_V2,
) -> int:
    """Empty the read store and replay the event stream into it; returns how many events
    changed the view. Stop the live projectors first.

    The stream is read before the store is emptied, so an unreachable broker leaves the
    view as it was. A campaign whose history has a gap (an event missing from the stream)
    stops at the gap, with a warning."""
    auth = (security or PulsarSecurity()).client_kwargs(url)
    client = pulsar.asyncio.Client(url, logger=logging.getLogger("pulsar.client"), **auth)
    try:
        events = []
        for partition in await client.get_topic_partitions(topic):
            events.extend(await _read_topic(client, partition, capabilities))
    finally:
        await client.close()
    campaign_events = [e for e in events if e.event_type != REJECTED]
    campaign_events.sort(key=lambda e: (e.campana_id, e.aggregate_version or 0))

    await reset(engine)
    applied = 0
    broken: set[str] = set()
    for event in campaign_events:
        if event.campana_id in broken:
            continue
        try:
            result = await apply_event(
                engine, event.event_type, event.event_id, event.aggregate_version, event.body
            )
        except OutOfOrder as gap:
            log.warning("rebuild: campaign %r stops at a gap: %s", event.campana_id, gap)
            broken.add(event.campana_id)
            continue
        except InvalidEvent as invalid:
            log.warning("rebuild: skipped an invalid event: %s", invalid)
            continue
        applied += result is ApplyResult.APPLIED
    log.info("rebuild: %d events read, %d applied", len(events), applied)
    return applied


async def _read_topic(
    client: pulsar.asyncio.Client, topic: str, capabilities: BrokerCapabilities
) -> list[ReceivedEvent]:
    """Every event of one topic (or partition), from the first message kept."""
    reader = await client.create_reader(topic, pulsar.MessageId.earliest)
    events: list[ReceivedEvent] = []
    try:
        # read_next is awaited only when a message is known to be there: a pending
        # read_next must never be cancelled (the client would lose the message).
        while await _has_message(reader, capabilities):
            message = await reader.read_next()
            try:
                events.append(decode_event(message.data(), message.properties()))
            except ValueError as invalid:  # InvalidEvent, or a body that is not JSON
                log.warning("rebuild: skipped message %s of %s: %s", message.message_id(),
                            topic, invalid)
    finally:
        await reader.close()
    return events


async def _has_message(reader: pulsar.asyncio.Reader, capabilities: BrokerCapabilities) -> bool:
    try:
        available: bool = await reader.has_message_available()
    except pulsar.asyncio.PulsarException as e:
        # pulsar-lite answers "Topic has no messages" (UnknownError) for an empty topic.
        if capabilities.reader_fails_on_empty_topic and e.error() == pulsar.Result.UnknownError:
            return False
        raise
    return available
