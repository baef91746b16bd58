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

from .letters import (
    DEAD_LETTER_PROPERTIES,
    REDRIVEN_AT,
    REDRIVEN_FROM,
    DeadLetter,
    Listing,
    NothingMatched,
    Redriven,
    redrive_properties,
    select,
)
from .operations import find_dead_letters, list_dead_letters, purge, redrive
from .topics import (
    ADMIN_SUBSCRIPTION,
    DEAD_LETTER_TOPICS,
    WORKER_SUBSCRIPTIONS,
    DeadLetterTopic,
    topics_of,
)

__all__ = (
    "ADMIN_SUBSCRIPTION",
    "DEAD_LETTER_PROPERTIES",
    "DEAD_LETTER_TOPICS",
    "REDRIVEN_AT",
    "REDRIVEN_FROM",
    "WORKER_SUBSCRIPTIONS",
    "DeadLetter",
    "DeadLetterTopic",
    "Listing",
    "NothingMatched",
    "Redriven",
    "find_dead_letters",
    "list_dead_letters",
    "purge",
    "redrive",
    "redrive_properties",
    "select",
    "topics_of",
)
