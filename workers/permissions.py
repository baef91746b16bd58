"""Who may do what on the broker: the service's roles and the grants `alpes topics grant`
applies on Apache Pulsar (authorization on; see docs/security.md).

- the service role runs every worker: it consumes the commands, produces and consumes
  the events (relay; projector, notifications, `events tail`), and produces and
  consumes the dead letters (the workers park them, `alpes dlq` reads them);
- a command producer (an upstream service, the CLI's `campaign` commands) may only
  produce commands;
- an event consumer (a downstream service) may only consume events, on its own
  subscription.

Each worker subscription is reserved to the service role, and the event consumer's
subscription to it, so that no role can take over another's subscription.
"""

from dataclasses import dataclass

from adapters.pulsar import DeadLetterPolicy
from contracts.topics import COMMAND_TOPICS, COMMANDS_V2, EVENT_TOPICS, EVENTS_V2, NAMESPACE

from . import notifications, projector
from .campaigns import worker as command_worker
from .dead_letters.topics import ADMIN_SUBSCRIPTION

COMMAND_STREAMS = (COMMANDS_V2, *COMMAND_TOPICS.values())
EVENT_STREAMS = (EVENTS_V2, *EVENT_TOPICS.values())


@dataclass(frozen=True, slots=True)
class Roles:
    service: str = "service"
    command_producer: str = "command-producer"
    event_consumer: str = "event-consumer"
    event_consumer_subscription: str = "event-consumer"

    def __post_init__(self) -> None:
        names = (self.service, self.command_producer, self.event_consumer)
        if len(set(names)) != len(names) or not all(names):
            msg = f"the three roles must be distinct, non-empty names; got {names}"
            raise ValueError(msg)
        if self.event_consumer_subscription in WORKER_SUBSCRIPTIONS:
            msg = (
                f"subscription {self.event_consumer_subscription!r} is the service's own; "
                "choose another for the event consumer"
            )
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class TopicGrant:
    role: str
    topic: str
    actions: tuple[str, ...]  # "produce", "consume"


# The service's subscriptions, and the topics each reads (its DLQs follow from them).
WORKER_READS = (
    (command_worker.SUBSCRIPTION, COMMAND_STREAMS),
    (projector.SUBSCRIPTION, EVENT_STREAMS),
    (notifications.SUBSCRIPTION, EVENT_STREAMS),
)
WORKER_SUBSCRIPTIONS = (*(s for s, _ in WORKER_READS), ADMIN_SUBSCRIPTION)


def dead_letter_topics() -> tuple[str, ...]:
    """``<topic>-<subscription>-DLQ`` of every topic each worker subscription reads."""
    policy = DeadLetterPolicy()
    return tuple(
        policy.topic_for(topic, subscription)
        for subscription, topics in WORKER_READS
        for topic in topics
    )


def topic_grants(roles: Roles = Roles()) -> list[TopicGrant]:
    both = ("produce", "consume")
    return [
        *(TopicGrant(roles.service, t, ("consume",)) for t in COMMAND_STREAMS),
        *(TopicGrant(roles.service, t, both) for t in EVENT_STREAMS),
        *(TopicGrant(roles.service, t, both) for t in dead_letter_topics()),
        *(TopicGrant(roles.command_producer, t, ("produce",)) for t in COMMAND_STREAMS),
        *(TopicGrant(roles.event_consumer, t, ("consume",)) for t in EVENT_STREAMS),
    ]


def subscription_grants(roles: Roles = Roles()) -> dict[str, tuple[str, ...]]:
    """Subscription -> the only roles that may use it (namespace-wide in Pulsar)."""
    reserved: dict[str, tuple[str, ...]] = {s: (roles.service,) for s in WORKER_SUBSCRIPTIONS}
    return reserved | {roles.event_consumer_subscription: (roles.event_consumer,)}


def namespace() -> str:
    """The namespace of every topic above (subscription permissions are set on it)."""
    return NAMESPACE
