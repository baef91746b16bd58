"""Who may do what on the broker: the service's roles and the grants `alpes topics grant`
applies on Apache Pulsar (authorization on; see docs/security.md).

- the service role runs every worker: it consumes the commands, produces the events
  (relay) and consumes the v2 event stream (projector, notifications, `events tail`),
  and produces and consumes the dead letters (the workers park them, `alpes dlq`
  reads them);
- a command producer (an upstream service, the CLI's `campaign` commands) may only
  produce commands;
- an event consumer (a downstream service) may only consume events, on its own
  subscription.

Each worker subscription is reserved to the service role, and the event consumer's
subscription to it, so that no role can take over another's subscription.
"""

from dataclasses import dataclass

from contracts.topics import COMMAND_TOPICS, COMMANDS_V2, EVENT_TOPICS, EVENTS_V2, NAMESPACE

from .dead_letters.topics import ADMIN_SUBSCRIPTION, DEAD_LETTER_TOPICS, WORKER_SUBSCRIPTIONS

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
        if self.event_consumer_subscription in (*WORKER_SUBSCRIPTIONS, ADMIN_SUBSCRIPTION):
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


def dead_letter_topics() -> tuple[str, ...]:
    """``<topic>-<subscription>-DLQ`` of every topic each worker subscription reads."""
    return tuple(t.topic for t in DEAD_LETTER_TOPICS)


def topic_grants(roles: Roles = Roles()) -> list[TopicGrant]:
    both = ("produce", "consume")
    return [
        *(TopicGrant(roles.service, t, ("consume",)) for t in COMMAND_STREAMS),
        # The relay publishes both versions; the service's readers read the v2 stream.
        *(
            TopicGrant(roles.service, t, both if t == EVENTS_V2 else ("produce",))
            for t in EVENT_STREAMS
        ),
        *(TopicGrant(roles.service, t, both) for t in dead_letter_topics()),
        *(TopicGrant(roles.command_producer, t, ("produce",)) for t in COMMAND_STREAMS),
        *(TopicGrant(roles.event_consumer, t, ("consume",)) for t in EVENT_STREAMS),
    ]


def subscription_grants(roles: Roles = Roles()) -> dict[str, tuple[str, ...]]:
    """Subscription -> the only roles that may use it (namespace-wide in Pulsar)."""
    reserved: dict[str, tuple[str, ...]] = {
        s: (roles.service,) for s in (*WORKER_SUBSCRIPTIONS, ADMIN_SUBSCRIPTION)
    }
    return reserved | {roles.event_consumer_subscription: (roles.event_consumer,)}


def namespace() -> str:
    """The namespace of every topic above (subscription permissions are set on it)."""
    return NAMESPACE
