"""The command worker: one subscriber per v1 command topic, each a thin translation from a
Pulsar message to ``handle_command``."""

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from faststream._internal.context.repository import ContextRepo
from faststream.exceptions import NackMessage, RejectMessage

from adapters.database.errors import is_transient
from adapters.pulsar import DeadLetterPolicy, PulsarBroker, PulsarMessage, SubscriptionType
from adapters.pulsar.decoders import raw_body
from adapters.pulsar.message import current_message
from contracts import properties as p
from contracts.topics import COMMAND_TOPICS

from ..ports import UnitOfWorkFactory
from ..retry import retry_transient
from .batch import BatchingProcessor
from .handler import CommandEnvelope, Deferred, Outcome, handle_command

log = logging.getLogger("alpes.commands")

SUBSCRIPTION = "alpes-campanas"
NEGATIVE_ACK_DELAY = 1.0
MAX_REDELIVERIES = 5

_COMMAND_ID_NAMESPACE = uuid.UUID("0c3f5a52-7d0e-4b0f-9b7e-3f1f2d6c8a91")




def command_id_of(message: PulsarMessage, topic: str) -> str:
    """The command id the producer set, or one derived from the message's position, so
    that a redelivery of the same message is recognised as the same command."""
    given = message.headers.get(p.COMMAND_ID)
    if given:
        return str(given)
    position = f"{topic}@{message.raw_message.message.message_id()}"
    return f"derived-{uuid.uuid5(_COMMAND_ID_NAMESPACE, position)}"


def register(
    broker: PulsarBroker,
    uow_factory: UnitOfWorkFactory,
    *,
    concurrency: int,
    settle_seconds: float = 5.0,
    settle_attempts: int = 8,
    processor: BatchingProcessor | None = None,
) -> None:
    """A command whose rejection arrival order can explain (see handler.DEFERRABLE) is
    retried while it is younger than ``settle_seconds`` and for at least
    ``settle_attempts`` deliveries: after an outage every backlog message is old, yet its
    predecessor on another topic may still be queued behind it."""
    # Key_Shared sends all of a campaign's commands to one worker process, so they keep
    # their order when several command workers compete; within a process the adapter
    # keeps per-key order. pulsar-lite has no Key_Shared: there, run one command worker.
    subscription_type = (
        SubscriptionType.KEY_SHARED
        if SubscriptionType.KEY_SHARED in broker.capabilities.subscription_types
        else SubscriptionType.SHARED
    )
    for name, topic in COMMAND_TOPICS.items():
        broker.subscriber(
            topic,
            subscription=SUBSCRIPTION,
            subscription_type=subscription_type,
            max_workers=concurrency,
            negative_ack_delay=NEGATIVE_ACK_DELAY,
            # Deferrals spend redeliveries too: leave room for all of them.
            dead_letter=DeadLetterPolicy(
                max_redeliveries=MAX_REDELIVERIES
                + settle_attempts
                + int(settle_seconds / NEGATIVE_ACK_DELAY)
            ),
            decoder=raw_body,
            title=f"{name}.v1",
            description=f"Command {name} (v1).",
        )(
            _handler(
                name, topic, uow_factory, settle_seconds, settle_attempts, processor, broker.context
            )
        )


def _handler(
    name: str,
    topic: str,
    uow_factory: UnitOfWorkFactory,
    settle_seconds: float,
    settle_attempts: int,
    processor: BatchingProcessor | None,
    context: ContextRepo,
) -> Callable[..., Awaitable[None]]:
    async def apply(envelope: CommandEnvelope, defer: bool) -> Outcome:
        if processor is not None:
            return await processor.submit(envelope, defer=defer)
        return await handle_command(envelope, uow_factory, defer=defer)

    async def handle(body: bytes) -> None:
        message = current_message(context)
        command_id = command_id_of(message, topic)
        envelope = CommandEnvelope(
            command_type=name,
            command_id=command_id,
            correlation_id=str(message.headers.get(p.CORRELATION_ID) or command_id),
            body=body,
            schema_version=message.headers.get(p.SCHEMA_VERSION),
        )
        published = message.raw_message.message.publish_timestamp() / 1000
        defer = settle_seconds > 0 and (
            time.time() < published + settle_seconds
            or message.raw_message.attempt <= settle_attempts
        )
        try:
            outcome = await retry_transient(
                lambda: apply(envelope, defer),
                is_transient,
                what=f"{name} {command_id}",
            )
        except Deferred as deferred:
            # Routine: an earlier command may still be on its way. No error log.
            log.info("%s %s: %s", name, command_id, deferred)
            message.raw_message.failure = deferred
            raise NackMessage() from deferred
        if outcome.rejection is None:
            log.info("%s %s: %s", name, command_id, outcome.status)
            return
        log.info("%s %s: rejected %s", name, command_id, outcome.rejection.reason)
        if outcome.rejection.dead_letter:
            raise RejectMessage(reason=outcome.rejection.reason.lower())

    handle.__name__ = handle.__qualname__ = f"handle_{name.replace('-', '_')}"
    return handle
