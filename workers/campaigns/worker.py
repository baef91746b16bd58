"""The command worker: one subscriber per v1 command topic, each a thin translation from a
Pulsar message to ``handle_command``."""

import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

from faststream._internal.context.repository import ContextRepo

from adapters.database.errors import is_transient
from adapters.pulsar import DeadLetterPolicy, Delivery, PulsarBroker, SubscriptionType
from adapters.pulsar.decoders import raw_body
from adapters.pulsar.message import current_batch
from contracts import properties as p
from contracts.topics import COMMAND_TOPICS

from ..ports import UnitOfWorkFactory
from ..retry import retry_transient_each
from .batch import BatchingProcessor
from .handler import CommandEnvelope, Deferred, Outcome, handle_command

log = logging.getLogger("alpes.commands")

SUBSCRIPTION = "alpes-campanas"
NEGATIVE_ACK_DELAY = 1.0
MAX_REDELIVERIES = 5

_COMMAND_ID_NAMESPACE = uuid.UUID("0c3f5a52-7d0e-4b0f-9b7e-3f1f2d6c8a91")

Item = tuple[CommandEnvelope, bool]  # a command, and whether it may be deferred


def command_id_of(properties: dict[str, str], delivery: Delivery, topic: str) -> str:
    """The command id the producer set, or one derived from the message's position, so
    that a redelivery of the same message is recognised as the same command."""
    given = properties.get(p.COMMAND_ID)
    if given:
        return str(given)
    position = f"{topic}@{delivery.message.message_id()}"
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
    """Each topic's messages come in batches: up to ``concurrency`` commands in flight
    per topic, as two batches of half as many, so that one is received and decoded while
    the other commits. Each command gets its own outcome and its own settlement.

    A command whose rejection arrival order can explain (see handler.DEFERRABLE) is
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
            batch=True,
            max_batch_size=max(1, concurrency // 2),
            max_workers=min(2, concurrency),
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
) -> Callable[[list[bytes]], Awaitable[None]]:
    async def apply(items: Sequence[Item]) -> list[Outcome | BaseException]:
        if processor is not None:
            return await processor.submit_many(items)
        results: list[Outcome | BaseException] = []
        for envelope, defer in items:
            try:
                results.append(await handle_command(envelope, uow_factory, defer=defer))
            except Exception as error:
                results.append(error)
        return results

    def item(delivery: Delivery, body: bytes, properties: dict[str, str]) -> Item:
        command_id = command_id_of(properties, delivery, topic)
        envelope = CommandEnvelope(
            command_type=name,
            command_id=command_id,
            correlation_id=str(properties.get(p.CORRELATION_ID) or command_id),
            body=body,
            schema_version=properties.get(p.SCHEMA_VERSION),
        )
        published = delivery.message.publish_timestamp() / 1000
        defer = settle_seconds > 0 and (
            time.time() < published + settle_seconds or delivery.attempt <= settle_attempts
        )
        return envelope, defer

    async def handle(bodies: list[bytes]) -> None:
        batch = current_batch(context)
        deliveries = batch.deliveries
        items = [
            item(delivery, body, properties)
            for delivery, body, properties in zip(
                deliveries, bodies, batch.batch_headers, strict=True
            )
        ]
        results = await retry_transient_each(
            apply, items, is_transient, what=f"{name} batch of {len(items)}"
        )
        for delivery, (envelope, _), result in zip(deliveries, items, results, strict=True):
            await _settle(delivery, name, envelope.command_id, result)

    handle.__name__ = handle.__qualname__ = f"handle_{name.replace('-', '_')}"
    return handle


async def _settle(
    delivery: Delivery, name: str, command_id: str, result: Outcome | BaseException
) -> None:
    """One command's settlement: applied, duplicate and final rejections are
    acknowledged (a rejection is an outcome, with its event), unparseable messages are
    dead-lettered, deferred and failed ones come back later (then the dead-letter topic)."""
    if isinstance(result, Deferred):
        # Routine: an earlier command may still be on its way. No error log.
        log.info("%s %s: %s", name, command_id, result)
        delivery.failure = result
        await delivery.nack()
    elif isinstance(result, BaseException):
        log.error("%s %s failed", name, command_id, exc_info=result)
        delivery.failure = result
        await delivery.nack()
    elif result.rejection is None:
        log.info("%s %s: %s", name, command_id, result.status)
        await delivery.ack()
    else:
        log.info("%s %s: rejected %s", name, command_id, result.rejection.reason)
        if result.rejection.dead_letter:
            await delivery.reject(result.rejection.reason.lower())
        else:
            await delivery.ack()
