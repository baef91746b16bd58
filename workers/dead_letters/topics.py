"""The DLQ topics of the service: one per worker subscription and topic it reads."""

from collections.abc import Sequence
from dataclasses import dataclass

from adapters.pulsar import DeadLetterPolicy
from contracts.topics import COMMAND_TOPICS, COMMANDS_V2, EVENTS_V2

from .. import commands as command_worker
from .. import notifications, projector, subscriptions

ADMIN_SUBSCRIPTION = subscriptions.DEAD_LETTER_ADMIN


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
        (command_worker.SUBSCRIPTION, (COMMANDS_V2, *COMMAND_TOPICS.values())),
        (projector.SUBSCRIPTION, (EVENTS_V2,)),
        (notifications.SUBSCRIPTION, (EVENTS_V2,)),
    )
    return tuple(
        DeadLetterTopic(subscription, topic) for subscription, topics in workers for topic in topics
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
