"""A dead letter as operators see it, and choosing which ones an operation touches."""

import base64
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
from contracts import properties as p

from .. import commands as command_worker
from .topics import DeadLetterTopic

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
# A redriven command that had no command_id gets one fixed by its place in the DLQ, so a
# redrive repeated after a crash (sent, not yet acknowledged) is recognised as a duplicate.
_REDRIVE_NAMESPACE = uuid.UUID("5d7c2a8e-3b1f-4c6a-9e0d-8f4b2a1c7e63")


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

    @property
    def correlation_id(self) -> str | None:
        """The correlation_id property the message was sent with, if any."""
        return self.properties.get(p.CORRELATION_ID) or None

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
            "correlation_id": self.correlation_id,
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

    def correlated(self, correlation_id: str) -> list[DeadLetter]:
        """The dead letters sent with this correlation_id property."""
        return [letter for letter in self.letters if letter.correlation_id == correlation_id]


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
