"""The live event view (the seed's `ui`), behind `alpes events tail`.

A Reader on the v2 event stream (one per partition when it is partitioned), from the
first message kept or from now on, merged as the messages arrive. Readers keep no
subscription and acknowledge nothing: watching changes nothing for the workers. A
pending ``read_next()`` is never cancelled (pulsar-client would deliver the next message
into the cancelled future and lose it); one read per reader stays pending across waits,
as ``adapters.pulsar.receiver`` does for consumers.
"""

import asyncio
import contextlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pulsar
import pulsar.asyncio
from pydantic import ValidationError

from adapters.pulsar import BrokerUnavailableError, PulsarSecurity
from application.notifications import describe, occurred_at
from contracts import properties as p
from contracts.topics import EVENT_TOPICS, EVENTS_V2
from contracts.v2.events import EVENTS

_LOG = logging.getLogger("pulsar.client")
_EVENT_NAMES = {topic: name for name, topic in EVENT_TOPICS.items()}
_SUMMARY_WIDTH = 160


@dataclass(frozen=True, slots=True)
class TailedEvent:
    topic: str
    event_type: str
    event_id: str
    campana_id: str  # the message key: the campaign id (a rejection naming none: the command id)
    occurred_at: datetime
    body: dict[str, Any]  # the JSON body; {} when it is not a JSON object
    properties: dict[str, str] = field(default_factory=dict)


OnEvent = Callable[[TailedEvent], Awaitable[None] | None]


async def tail(
    url: str,
    *,
    from_beginning: bool,
    on_event: OnEvent,
    stop: asyncio.Event,
    topics: Sequence[str] = (EVENTS_V2,),
    security: PulsarSecurity | None = None,
    ready: asyncio.Event | None = None,
    connect_timeout: float = 10.0,
) -> None:
    """Call ``on_event`` for each event published to ``topics`` (from the first message
    kept when ``from_beginning``, else from now on) until ``stop`` is set.

    ``ready`` is set once every reader is in place: from then on nothing published is
    missed. Messages of one topic arrive in order; across topics, in arrival order.
    """
    if not topics:
        msg = "tail needs at least one topic; got none."
        raise ValueError(msg)
    client = pulsar.asyncio.Client(
        url,
        logger=_LOG,
        operation_timeout_seconds=max(1, int(connect_timeout)),
        connection_timeout_ms=int(connect_timeout * 1000),
        **(security or PulsarSecurity()).client_kwargs(url),
    )
    readers: list[tuple[str, pulsar.asyncio.Reader]] = []
    pending: dict[asyncio.Future[pulsar.Message], tuple[str, pulsar.asyncio.Reader]] = {}
    try:
        start = pulsar.MessageId.earliest if from_beginning else pulsar.MessageId.latest
        for topic in topics:
            try:
                # A partitioned topic is read partition by partition (a campaign's events
                # all go to one partition, so its order is kept).
                for partition in await client.get_topic_partitions(topic):
                    readers.append((topic, await client.create_reader(partition, start)))
            except pulsar.asyncio.PulsarException as e:
                raise BrokerUnavailableError(url, connect_timeout, e) from e
        for topic, reader in readers:
            pending[asyncio.ensure_future(reader.read_next())] = (topic, reader)
        if ready is not None:
            ready.set()
        await _merge(pending, on_event, stop)
    finally:
        await _close(client, readers, pending)


async def _merge(
    pending: dict[asyncio.Future[pulsar.Message], tuple[str, pulsar.asyncio.Reader]],
    on_event: OnEvent,
    stop: asyncio.Event,
) -> None:
    stopped = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            # asyncio.wait cancels none of the pending reads, whatever happens to us.
            done, _ = await asyncio.wait({*pending, stopped}, return_when=asyncio.FIRST_COMPLETED)
            arrived: list[tuple[str, pulsar.Message]] = []
            for read in done:
                if read is stopped:
                    continue
                topic, reader = pending.pop(read)
                arrived.append((topic, read.result()))
                pending[asyncio.ensure_future(reader.read_next())] = (topic, reader)
            for topic, message in sorted(arrived, key=lambda a: a[1].publish_timestamp()):
                result = on_event(tailed_event(topic, message))
                if inspect.isawaitable(result):
                    await result
    finally:
        stopped.cancel()


async def _close(
    client: pulsar.asyncio.Client,
    readers: list[tuple[str, pulsar.asyncio.Reader]],
    pending: dict[asyncio.Future[pulsar.Message], Any],
) -> None:
    for _, reader in readers:
        with contextlib.suppress(Exception):
            await reader.close()
    if pending:
        # Closing fails the pending reads; collect them so no error goes unretrieved.
        await asyncio.wait(pending, timeout=5)
        for read in pending:
            if read.done() and not read.cancelled():
                read.exception()
            else:
                read.cancel()
    with contextlib.suppress(Exception):
        await client.close()


def tailed_event(topic: str, message: Any) -> TailedEvent:
    """A message read from an event topic, decoded tolerantly."""
    properties: dict[str, str] = dict(message.properties())
    try:
        decoded = json.loads(message.data())
    except (ValueError, UnicodeDecodeError):
        decoded = None
    return TailedEvent(
        topic=topic,
        event_type=properties.get(p.EVENT_TYPE) or _EVENT_NAMES.get(topic, topic),
        event_id=properties.get(p.EVENT_ID, ""),
        campana_id=message.partition_key() or "",
        occurred_at=occurred_at(properties.get(p.OCCURRED_AT), message.publish_timestamp()),
        body=decoded if isinstance(decoded, dict) else {},
        properties=properties,
    )


def format_event(e: TailedEvent) -> str:
    """One terminal line: time (UTC), event type, campaign, what happened."""
    when = e.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{when}  {e.event_type:<21}  {e.campana_id or '-':<14}  {summary(e)}"


def summary(e: TailedEvent) -> str:
    """What happened, in a line: the notification's subject when the body is a valid v2
    event, else the body's fields."""
    model = EVENTS.get(e.event_type)
    if model is not None:
        try:
            text, _ = describe(model.model_validate(e.body))
        except ValidationError:
            text = ""
        if text:
            return _shorten(text)
    if not e.body:
        return "(no JSON object in the body)"
    fields = ", ".join(f"{k}={v}" for k, v in e.body.items() if k != "campana_id")
    return _shorten(fields or json.dumps(e.body, ensure_ascii=False))


def _shorten(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _SUMMARY_WIDTH else line[: _SUMMARY_WIDTH - 3] + "..."
