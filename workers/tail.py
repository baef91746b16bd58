"""The live event view (the seed's `ui`), behind `alpes events tail`.

The adapter's reader on the v2 event stream (every partition when it is partitioned),
from the first message kept or from now on, merged as the messages arrive. Readers keep
no subscription and acknowledge nothing: watching changes nothing for the workers.
"""

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from adapters.pulsar import InitialPosition, PulsarReader, PulsarSecurity
from application.notifications import describe, occurred_at
from contracts import properties as p
from contracts.topics import EVENT_TOPICS, EVENTS_V2
from contracts.v2.events import EVENTS

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

    def as_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "event_type": self.event_type,
            "event_id": self.event_id,
            "campana_id": self.campana_id,
            "occurred_at": self.occurred_at.isoformat(),
            "properties": self.properties,
            "body": self.body,
        }


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
    start = InitialPosition.EARLIEST if from_beginning else InitialPosition.LATEST
    async with PulsarReader(
        url, topics, start=start, security=security, connect_timeout=connect_timeout
    ) as reader:
        if ready is not None:
            ready.set()
        async for message in reader.follow(stop=stop):
            result = on_event(tailed_event(message.topic, message.message))
            if inspect.isawaitable(result):
                await result


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
