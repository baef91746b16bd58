"""Dead letters of the service: list, show, redrive and purge what the workers parked.

Each worker subscription parks what it gives up on in ``<topic>-<subscription>-DLQ`` (see
docs/brokers.md): the command worker for its 8 command topics, the projector and the
notifier for the 9 event topics each, 26 topics in all.

Operators work through their own Shared subscription, ``alpes-dlq-admin``, on each of those
topics, from the earliest message: a message is "in the DLQ" until it is acknowledged on
that subscription, by a redrive (once its copy is stored on the real topic) or a purge.
Listing receives what is there and closes the consumers without acknowledging anything, so
the broker hands it all out again to the next command. No admin API, one consumer per
topic, Shared only: the same code runs on pulsar-lite and Apache Pulsar.

A redriven copy goes to the real topic, so every subscription of that topic receives it
again, not only the one that gave up on it: event consumers deduplicate on ``event_id``,
the command worker on ``command_id``. The admin subscription starts at the earliest
message the broker still stores; on Apache Pulsar a topic with no subscription keeps
messages only as its retention policy says, so let the first ``alpes dlq list`` create the
subscription on every DLQ topic before anything is parked there.

A pending ``receive()`` is never cancelled (pulsar-client would deliver the next message
into the dead future and lose it): ``adapters.pulsar.receiver.Receiver`` keeps it pending
across timeouts.
"""

import asyncio
import base64
import contextlib
import gc
import logging
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import pulsar
import pulsar.asyncio

from adapters.pulsar import BrokerUnavailableError, DeadLetterPolicy, PublishError, PulsarSecurity
from adapters.pulsar.delivery import (
    DLQ_AT,
    DLQ_ATTEMPTS,
    DLQ_EXCEPTION_MESSAGE,
    DLQ_EXCEPTION_TYPE,
    DLQ_ORIGIN_MESSAGE_ID,
    DLQ_REAL_TOPIC,
    DLQ_REASON,
    DLQ_SUBSCRIPTION,
)
from adapters.pulsar.receiver import Receiver
from contracts import properties as p
from contracts.topics import COMMAND_TOPICS, EVENT_TOPICS

from . import notifications, projector
from .campaigns import worker as command_worker

_LOG = logging.getLogger("pulsar.client")

ADMIN_SUBSCRIPTION = "alpes-dlq-admin"
REDRIVEN_FROM = "redriven_from"  # "<dlq topic>@<message id>" on a redriven copy
REDRIVEN_AT = "redriven_at"  # ISO-8601 UTC

# What the dead-lettering added: none of it goes back to the real topic.
DEAD_LETTER_PROPERTIES = frozenset(
    {
        DLQ_REAL_TOPIC,
        DLQ_ORIGIN_MESSAGE_ID,
        DLQ_SUBSCRIPTION,
        DLQ_REASON,
        DLQ_EXCEPTION_TYPE,
        DLQ_EXCEPTION_MESSAGE,
        DLQ_ATTEMPTS,
        DLQ_AT,
    }
)

PREVIEW_WIDTH = 80
_OPEN_CONCURRENCY = 8
# A redriven command that had no command_id gets one fixed by its place in the DLQ, so a
# redrive repeated after a crash (sent, not yet acknowledged) is recognised as a duplicate.
_REDRIVE_NAMESPACE = uuid.UUID("5d7c2a8e-3b1f-4c6a-9e0d-8f4b2a1c7e63")


@dataclass(frozen=True, slots=True)
class DeadLetterTopic:
    """Where one worker subscription parks the messages of one topic."""

    subscription: str  # the worker's subscription that gives up on messages
    source: str  # the topic it reads

    @property
    def topic(self) -> str:
        return DeadLetterPolicy().topic_for(self.source, self.subscription)

    @property
    def short_name(self) -> str:
        return self.topic.rsplit("/", 1)[-1]


def _service_topics() -> tuple[DeadLetterTopic, ...]:
    workers = (
        (command_worker.SUBSCRIPTION, COMMAND_TOPICS),
        (projector.SUBSCRIPTION, EVENT_TOPICS),
        (notifications.SUBSCRIPTION, EVENT_TOPICS),
    )
    return tuple(
        DeadLetterTopic(subscription, topic)
        for subscription, topics in workers
        for topic in topics.values()
    )


DEAD_LETTER_TOPICS = _service_topics()
WORKER_SUBSCRIPTIONS = tuple(dict.fromkeys(t.subscription for t in DEAD_LETTER_TOPICS))


def topics_of(
    subscription: str | None, topics: Sequence[DeadLetterTopic] = DEAD_LETTER_TOPICS
) -> list[DeadLetterTopic]:
    """The DLQ topics of one worker subscription (all of them when None)."""
    if subscription is None:
        return list(topics)
    chosen = [t for t in topics if t.subscription == subscription]
    if not chosen:
        known = ", ".join(dict.fromkeys(t.subscription for t in topics))
        msg = f"unknown subscription {subscription!r}; expected one of: {known}"
        raise ValueError(msg)
    return chosen


class NothingMatched(Exception):
    """No dead letter fits the selection; nothing was changed."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message parked in a DLQ topic, as the admin subscription received it."""

    where: DeadLetterTopic
    message_id: str  # str(message.message_id()), what --id matches
    key: str | None
    properties: dict[str, str]
    body: bytes
    published_at: datetime
    event_timestamp: int = 0  # milliseconds; 0 when none was set
    # (ledger, entry, partition) when the producer stored it in a batch with others: the
    # broker removes a batch only once every message in it is acknowledged.
    batch: tuple[int, int, int] | None = None

    @property
    def dlq_topic(self) -> str:
        return self.where.topic

    @property
    def real_topic(self) -> str:
        """Where it came from: its REAL_TOPIC, else the topic its DLQ belongs to."""
        return self.properties.get(DLQ_REAL_TOPIC) or self.where.source

    @property
    def reason(self) -> str:
        return self.properties.get(DLQ_REASON, "")

    @property
    def exception_type(self) -> str:
        return self.properties.get(DLQ_EXCEPTION_TYPE, "")

    @property
    def attempts(self) -> str:
        return self.properties.get(DLQ_ATTEMPTS, "")

    @property
    def at(self) -> str:
        return self.properties.get(DLQ_AT, "")

    def body_text(self) -> str | None:
        try:
            return self.body.decode()
        except UnicodeDecodeError:
            return None

    def preview(self, width: int = PREVIEW_WIDTH) -> str:
        """The body's first ``width`` characters on one line."""
        text = self.body_text()
        if text is None:
            return f"<{len(self.body)} bytes, not UTF-8>"
        return " ".join(text.split())[:width]

    def summary(self) -> dict[str, Any]:
        return {
            "dlq": self.where.short_name,
            "dlq_topic": self.dlq_topic,
            "subscription": self.where.subscription,
            "message_id": self.message_id,
            "reason": self.reason,
            "exception_type": self.exception_type,
            "attempts": self.attempts,
            "at": self.at,
            "key": self.key,
            "real_topic": self.real_topic,
            "body_preview": self.preview(),
        }

    def full(self) -> dict[str, Any]:
        text = self.body_text()
        body = (
            {"body": text, "body_encoding": "utf-8"}
            if text is not None
            else {"body": base64.b64encode(self.body).decode(), "body_encoding": "base64"}
        )
        return {
            **self.summary(),
            "exception_message": self.properties.get(DLQ_EXCEPTION_MESSAGE, ""),
            "origin_message_id": self.properties.get(DLQ_ORIGIN_MESSAGE_ID, ""),
            "published_at": self.published_at.isoformat(timespec="milliseconds"),
            "properties": dict(sorted(self.properties.items())),
            **body,
        }


def redrive_properties(letter: DeadLetter, now: datetime | None = None) -> dict[str, str]:
    """The original properties (without what dead-lettering added) plus where it came from."""
    moment = now or datetime.now(UTC)
    properties = {k: v for k, v in letter.properties.items() if k not in DEAD_LETTER_PROPERTIES}
    position = f"{letter.dlq_topic}@{letter.message_id}"
    if letter.where.subscription == command_worker.SUBSCRIPTION and not properties.get(
        p.COMMAND_ID
    ):
        properties[p.COMMAND_ID] = f"redriven-{uuid.uuid5(_REDRIVE_NAMESPACE, position)}"
    properties[REDRIVEN_FROM] = position
    properties[REDRIVEN_AT] = moment.isoformat(timespec="milliseconds")
    return properties


@dataclass(frozen=True, slots=True)
class Redriven:
    letter: DeadLetter
    topic: str  # where the copy went (or would go)
    properties: dict[str, str]
    new_message_id: str | None  # None on a dry run


@dataclass(frozen=True, slots=True)
class Listing:
    letters: list[DeadLetter]
    topics: list[DeadLetterTopic]
    missing_topics: list[str] = field(default_factory=list)  # did not exist on the broker

    def counts(self) -> dict[str, int]:
        counts = {t.topic: 0 for t in self.topics}
        for letter in self.letters:
            counts[letter.dlq_topic] += 1
        return counts


def select(
    letters: Sequence[DeadLetter], ids: Collection[str], everything: bool
) -> list[DeadLetter]:
    """The dead letters named by ``ids``, or all of them; raises NothingMatched when an id
    is not there (nothing is then changed) or there is nothing at all."""
    if everything and ids:
        msg = "name message ids or ask for all of them, not both"
        raise ValueError(msg)
    if not everything and not ids:
        msg = "no selection: name message ids or ask for all of them"
        raise ValueError(msg)
    if everything:
        if not letters:
            msg = "no dead letters"
            raise NothingMatched(msg)
        return list(letters)
    found: dict[str, list[DeadLetter]] = {}
    for letter in letters:
        found.setdefault(letter.message_id, []).append(letter)
    missing = [i for i in ids if i not in found]
    if missing:
        msg = f"no dead letter with id {', '.join(missing)}; nothing was changed"
        raise NothingMatched(msg)
    ambiguous = {i: found[i] for i in ids if len(found[i]) > 1}
    if ambiguous:
        detail = "; ".join(
            f"{i} is on {', '.join(x.where.short_name for x in same)}"
            for i, same in ambiguous.items()
        )
        msg = f"ambiguous id ({detail}): narrow it to one subscription; nothing was changed"
        raise ValueError(msg)
    wanted = set(ids)
    chosen = [letter for letter in letters if letter.message_id in wanted]
    _refuse_part_of_a_batch(letters, chosen)
    return chosen


def _refuse_part_of_a_batch(letters: Sequence[DeadLetter], chosen: Sequence[DeadLetter]) -> None:
    """Messages a producer stored in one batch leave the DLQ together or not at all.

    Without batch-index acknowledgements (which lose the rest of the batch on
    pulsar-lite) the client tells the broker only once the whole batch is acknowledged, on
    either broker: the part of a batch redriven or purged alone would be back next time.
    """
    batches: dict[tuple[str, tuple[int, int, int]], list[str]] = {}
    for letter in letters:
        if letter.batch is not None:
            batches.setdefault((letter.dlq_topic, letter.batch), []).append(letter.message_id)
    picked = {letter.message_id for letter in chosen}
    for members in batches.values():
        left = [m for m in members if m not in picked]
        if left and len(left) < len(members):
            taken = ", ".join(m for m in members if m in picked)
            msg = (
                f"{taken} was stored in one batch with {', '.join(left)}: the broker removes "
                "a batch only as a whole, so select them together; nothing was changed"
            )
            raise ValueError(msg)


class DeadLetterBox:
    """The admin subscription on a set of DLQ topics, for one operation.

    ``collect()`` receives what is there; ``acknowledge()`` removes one message for good;
    leaving the context closes the consumers, and whatever was not acknowledged stays.
    """

    def __init__(
        self,
        url: str,
        *,
        topics: Sequence[DeadLetterTopic] = DEAD_LETTER_TOPICS,
        security: PulsarSecurity | None = None,
        receive_timeout: float = 1.0,
        connect_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.topics = list(topics)
        self.missing_topics: list[str] = []
        self._security = security or PulsarSecurity()
        self._receive_timeout = receive_timeout
        self._connect_timeout = connect_timeout
        self._client: pulsar.asyncio.Client | None = None
        self._receivers: dict[str, tuple[pulsar.asyncio.Consumer, Receiver]] = {}
        self._received: dict[tuple[str, str], Any] = {}
        self._producers: dict[str, pulsar.asyncio.Producer] = {}

    async def __aenter__(self) -> "DeadLetterBox":
        self._client = pulsar.asyncio.Client(
            self.url,
            logger=_LOG,
            operation_timeout_seconds=max(1, int(self._connect_timeout)),
            connection_timeout_ms=int(self._connect_timeout * 1000),
            **self._security.client_kwargs(self.url),
        )
        try:
            await self._subscribe_all()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _subscribe_all(self) -> None:
        client = self._client
        assert client is not None
        limit = asyncio.Semaphore(_OPEN_CONCURRENCY)

        async def subscribe(where: DeadLetterTopic) -> None:
            async with limit:
                try:
                    consumer = await client.subscribe(
                        where.topic,
                        ADMIN_SUBSCRIPTION,
                        consumer_type=pulsar.ConsumerType.Shared,
                        initial_position=pulsar.InitialPosition.Earliest,
                    )
                except pulsar.asyncio.PulsarException as e:
                    if e.error() == pulsar.Result.TopicNotFound:
                        # Topic auto-creation is off and nothing was ever parked there.
                        self.missing_topics.append(where.topic)
                        return
                    raise BrokerUnavailableError(self.url, self._connect_timeout, e) from e
                self._receivers[where.topic] = (consumer, Receiver(consumer))

        # Every subscribe runs to its end, so none is left behind unclosed on a failure.
        results = await asyncio.gather(*(subscribe(t) for t in self.topics), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def collect(self) -> list[DeadLetter]:
        """Everything the admin subscription holds now, topic by topic in arrival order."""
        by_topic = await asyncio.gather(
            *(self._drain(t) for t in self.topics if t.topic in self._receivers)
        )
        return [letter for letters in by_topic for letter in letters]

    async def _drain(self, where: DeadLetterTopic) -> list[DeadLetter]:
        _, receiver = self._receivers[where.topic]
        letters: list[DeadLetter] = []
        while (message := await receiver.receive(self._receive_timeout)) is not None:
            letter = _dead_letter(where, message)
            self._received[(where.topic, letter.message_id)] = message
            letters.append(letter)
        return letters

    async def acknowledge(self, letter: DeadLetter) -> None:
        consumer, _ = self._receivers[letter.dlq_topic]
        await consumer.acknowledge(self._received[(letter.dlq_topic, letter.message_id)])

    async def send(self, letter: DeadLetter, topic: str, properties: dict[str, str]) -> str:
        """Store a copy of the letter's payload on ``topic``; raises PublishError if the
        broker did not store it."""
        try:
            producer = self._producers.get(topic)
            if producer is None:
                assert self._client is not None
                producer = await self._client.create_producer(topic, batching_enabled=False)
                self._producers[topic] = producer
            message_id = await producer.send(
                letter.body,
                properties=properties,
                partition_key=letter.key,
                event_timestamp=letter.event_timestamp or None,
            )
        except pulsar.asyncio.PulsarException as e:
            raise PublishError(topic, e) from e
        return str(message_id)

    async def close(self) -> None:
        producers, self._producers = self._producers, {}
        for producer in producers.values():
            with contextlib.suppress(Exception):
                await producer.close()
        receivers, self._receivers = self._receivers, {}
        # Receiver.close collects the pending receive that closing fails.
        await asyncio.gather(*(r.close() for _, r in receivers.values()))
        receivers.clear()
        producers.clear()
        self._received.clear()
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.close()
            self._client = None
        # The receives that closing failed leave the closed consumers in reference cycles
        # (exception, traceback, frame). Freed only at interpreter exit, pulsar-client's
        # C++ objects abort the process ("terminate called without an active exception",
        # exit 134, sometimes a segfault): free them now, while the loop still runs.
        gc.collect()


def _dead_letter(where: DeadLetterTopic, message: Any) -> DeadLetter:
    position = message.message_id()
    batch = None
    if position.batch_index() >= 0:
        batch = (position.ledger_id(), position.entry_id(), position.partition())
    return DeadLetter(
        where=where,
        message_id=str(message.message_id()),
        key=message.partition_key() or None,
        properties=dict(message.properties()),
        body=bytes(message.data()),
        published_at=datetime.fromtimestamp(message.publish_timestamp() / 1000, UTC),
        event_timestamp=int(message.event_timestamp() or 0),
        batch=batch,
    )


# ----------------------------------------------------------------- operations ---


async def list_dead_letters(
    url: str,
    *,
    security: PulsarSecurity | None = None,
    topics: Sequence[DeadLetterTopic] = DEAD_LETTER_TOPICS,
    receive_timeout: float = 1.0,
) -> Listing:
    """What is in the DLQ topics; everything stays there."""
    async with DeadLetterBox(
        url, topics=topics, security=security, receive_timeout=receive_timeout
    ) as box:
        letters = await box.collect()
        return Listing(letters, list(topics), list(box.missing_topics))


async def find_dead_letters(
    url: str,
    message_id: str,
    *,
    security: PulsarSecurity | None = None,
    topics: Sequence[DeadLetterTopic] = DEAD_LETTER_TOPICS,
    receive_timeout: float = 1.0,
) -> list[DeadLetter]:
    """The dead letters with this id (one, unless two DLQ topics reuse an id); raises
    NothingMatched when there is none. Everything stays there."""
    listing = await list_dead_letters(
        url, security=security, topics=topics, receive_timeout=receive_timeout
    )
    found = [letter for letter in listing.letters if letter.message_id == message_id]
    if not found:
        msg = f"no dead letter with id {message_id}"
        raise NothingMatched(msg)
    return found


async def redrive(
    url: str,
    *,
    ids: Iterable[str] = (),
    everything: bool = False,
    dry_run: bool = False,
    security: PulsarSecurity | None = None,
    topics: Sequence[DeadLetterTopic] = DEAD_LETTER_TOPICS,
    receive_timeout: float = 1.0,
    on_each: Callable[[Redriven], None] | None = None,
) -> list[Redriven]:
    """Send each selected dead letter back to its real topic, then acknowledge it.

    One at a time, in DLQ order: the copy is stored first (a failed send raises
    PublishError and leaves that message and the rest in the DLQ), then the dead letter
    is acknowledged. A crash between the two duplicates the message, never loses it.
    ``on_each`` hears of each one as it is done, so a failure half-way is easy to follow.
    """
    wanted = list(dict.fromkeys(ids))
    async with DeadLetterBox(
        url, topics=topics, security=security, receive_timeout=receive_timeout
    ) as box:
        chosen = select(await box.collect(), wanted, everything)
        done: list[Redriven] = []
        for letter in chosen:
            properties = redrive_properties(letter)
            new_id = None
            if not dry_run:
                new_id = await box.send(letter, letter.real_topic, properties)
                await box.acknowledge(letter)
            done.append(Redriven(letter, letter.real_topic, properties, new_id))
            if on_each is not None:
                on_each(done[-1])
        return done


async def purge(
    url: str,
    *,
    ids: Iterable[str] = (),
    everything: bool = False,
    dry_run: bool = False,
    security: PulsarSecurity | None = None,
    topics: Sequence[DeadLetterTopic] = DEAD_LETTER_TOPICS,
    receive_timeout: float = 1.0,
) -> list[DeadLetter]:
    """Drop the selected dead letters (acknowledge them on the admin subscription)."""
    wanted = list(dict.fromkeys(ids))
    async with DeadLetterBox(
        url, topics=topics, security=security, receive_timeout=receive_timeout
    ) as box:
        chosen = select(await box.collect(), wanted, everything)
        if not dry_run:
            for letter in chosen:
                await box.acknowledge(letter)
        return chosen
