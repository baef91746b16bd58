"""The command worker: the v2 command stream and the deprecated v1 topics, each a thin
translation from Pulsar messages to the batch processor.

v2: one topic, keyed by campaign. On Apache Pulsar the subscription is Key_Shared, so
every command worker process gets whole campaigns; within a process a batch waits for
the earlier batches that share a campaign with it. So a campaign's commands are applied
in the order sent, whatever the number of workers. pulsar-lite has no Key_Shared: run
one command worker there (``alpes dev`` does).

A command whose processing fails is never skipped past: a database outage is ridden out
in place (v2: for as long as it lasts; v1: up to the retry budget, then redelivered), and
the commands of the same campaign wait behind it. A command that fails for any other
reason would fail again: it is dead-lettered at once with the error, which is its outcome.
"""

import logging
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager, nullcontext

from opentelemetry.trace import Span

from adapters.pulsar import (
    ContextRepo,
    DeadLetterPolicy,
    Delivery,
    PulsarBroker,
    SubscriptionType,
    current_batch,
    raw_body,
)
from adapters.telemetry import logs
from adapters.telemetry.metrics import ServiceMetrics, command_label
from adapters.telemetry.tracing import SpanKind, Tracing, end, trace_ids
from application.commands.batch import BatchingProcessor
from application.commands.handler import Outcome
from application.commands.incoming import CommandEnvelope, IncomingCommand, decode
from application.retry import DEFAULT_BUDGET, retry_transient_each
from contracts import properties as p
from contracts.topics import COMMAND_TOPICS, COMMANDS_V2

from . import subscriptions

log = logging.getLogger("alpes.commands")

SUBSCRIPTION = subscriptions.COMMANDS
NEGATIVE_ACK_DELAY = 1.0
MAX_REDELIVERIES = 5

_COMMAND_ID_NAMESPACE = uuid.UUID("0c3f5a52-7d0e-4b0f-9b7e-3f1f2d6c8a91")


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
    processor: BatchingProcessor,
    *,
    concurrency: int,
    metrics: ServiceMetrics | None = None,
    tracing: Tracing | None = None,
) -> None:
    """Each topic's messages come in batches: up to ``concurrency`` commands in flight
    per topic, as two batches of half as many, so that one is received and decoded while
    the other commits. Each command gets its own outcome and its own settlement.

    ``metrics``: each command's outcome and its latency from receipt to commit.
    ``tracing``: a span per command, from receipt to settlement, the child of the trace
    context the message carries; its events carry the span's context on."""
    # Key_Shared sends all of a campaign's commands to one worker process.
    subscription_type = (
        SubscriptionType.KEY_SHARED
        if SubscriptionType.KEY_SHARED in broker.capabilities.subscription_types
        else SubscriptionType.SHARED
    )
    streams: list[tuple[str, str | None, int, str, str]] = [
        (COMMANDS_V2, None, 2, "comandos.v2", "Every campaign command (v2).")
    ]
    streams += [
        (topic, name, 1, f"{name}.v1", f"Command {name} (v1, deprecated).")
        for name, topic in COMMAND_TOPICS.items()
    ]
    for topic, name, contract, title, description in streams:
        broker.subscriber(
            topic,
            subscription=SUBSCRIPTION,
            subscription_type=subscription_type,
            batch=True,
            max_batch_size=max(1, concurrency // 2),
            max_workers=min(2, concurrency),
            negative_ack_delay=NEGATIVE_ACK_DELAY,
            dead_letter=DeadLetterPolicy(
                max_redeliveries=MAX_REDELIVERIES,
                initial_subscription=subscriptions.DEAD_LETTER_ADMIN,
            ),
            decoder=raw_body,
            title=title,
            description=description,
        )(_handler(topic, name, contract, processor, broker.context, metrics, tracing))


def envelope_of(
    topic: str,
    name: str | None,
    contract: int,
    delivery: Delivery,
    body: bytes,
    properties: dict[str, str],
    trace: Mapping[str, str] | None = None,
) -> CommandEnvelope:
    """The command a message carries. v1: the topic names the command; v2: the
    ``command_type`` property does, and the key names the campaign. ``trace``: the trace
    context its events continue (the command's span), when traced."""
    command_id = command_id_of(properties, delivery, topic)
    return CommandEnvelope(
        command_type=name or str(properties.get(p.COMMAND_TYPE) or ""),
        command_id=command_id,
        correlation_id=str(properties.get(p.CORRELATION_ID) or command_id),
        body=body,
        schema_version=properties.get(p.SCHEMA_VERSION),
        contract=contract,
        key=delivery.key,
        expected_version=properties.get(p.EXPECTED_VERSION),
        traceparent=trace.get(p.TRACEPARENT) if trace else None,
        tracestate=trace.get(p.TRACESTATE) if trace else None,
    )


# W3C trace context: version-traceid-parentid-flags, lower-case hex; tracestate at most
# 512 characters. A value that does not fit is ignored, as the specification says.
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
_TRACESTATE_MAX = 512


def carried_trace(properties: Mapping[str, str]) -> dict[str, str] | None:
    """The producer's trace context, for a service that does not trace itself: its events
    carry it on as it came, so the producer's trace reaches the event's consumers."""
    parent = properties.get(p.TRACEPARENT)
    if not parent or not _TRACEPARENT.fullmatch(parent):
        return None
    carried = {p.TRACEPARENT: parent}
    state = properties.get(p.TRACESTATE)
    if state and len(state) <= _TRACESTATE_MAX:
        carried[p.TRACESTATE] = state
    return carried


def _handler(
    topic: str,
    name: str | None,
    contract: int,
    processor: BatchingProcessor,
    context: ContextRepo,
    metrics: ServiceMetrics | None = None,
    tracing: Tracing | None = None,
) -> Callable[[list[bytes]], Awaitable[None]]:
    # v2 keeps a campaign's order: it waits out an outage instead of moving on.
    budget = math.inf if contract == 2 else DEFAULT_BUDGET

    async def handle(bodies: list[bytes]) -> None:
        batch = current_batch(context)
        deliveries = batch.deliveries
        headers = batch.batch_headers
        spans: list[Span] | None = None
        traces = [carried_trace(properties) for properties in headers]
        if tracing is not None:
            spans = [
                _command_span(tracing, topic, name, delivery, properties)
                for delivery, properties in zip(deliveries, headers, strict=True)
            ]
            traces = [tracing.context_of(span) for span in spans]
        commands = [
            decode(envelope_of(topic, name, contract, delivery, body, properties, trace))
            for delivery, body, properties, trace in zip(
                deliveries, bodies, headers, traces, strict=True
            )
        ]
        results = await retry_transient_each(
            processor.submit_many,
            commands,
            processor.retriable,
            what=f"{title_of(name, contract)} batch of {len(commands)}",
            budget=budget,
        )
        committed = time.monotonic()
        structured = logs.structured()
        for i, (delivery, command, result) in enumerate(
            zip(deliveries, commands, results, strict=True)
        ):
            span = spans[i] if spans is not None else None
            with _log_context(command, span) if structured else nullcontext():
                await _settle(delivery, command, result, processor.retriable)
            if metrics is not None:
                latency = committed - delivery.received_at
                _measure(metrics, command, result, latency, processor.retriable)
            if span is not None:
                _finish(span, command, result)

    handle.__name__ = handle.__qualname__ = f"handle_{(name or 'v2').replace('-', '_')}"
    return handle


def title_of(name: str | None, contract: int) -> str:
    return f"{name or 'comandos'}.v{contract}"


def _command_span(
    tracing: Tracing,
    topic: str,
    name: str | None,
    delivery: Delivery,
    properties: dict[str, str],
) -> Span:
    command_type = command_label(name or str(properties.get(p.COMMAND_TYPE) or ""))
    return tracing.start(
        f"apply {command_type}",
        properties,
        kind=SpanKind.CONSUMER,
        received=delivery.received_at,
        attributes={
            "messaging.system": "pulsar",
            "messaging.operation.type": "process",
            "messaging.destination.name": topic,
            "messaging.consumer.group.name": SUBSCRIPTION,
        },
    )


def _finish(span: Span, command: IncomingCommand, result: Outcome | BaseException) -> None:
    span.set_attribute("alpes.command_id", command.command_id)
    span.set_attribute("alpes.correlation_id", command.correlation_id)
    if command.campana_id is not None:
        span.set_attribute("alpes.campana_id", command.campana_id)
    if isinstance(result, BaseException):
        end(span, result)
        return
    span.set_attribute("alpes.outcome", result.status)
    if result.rejection is not None:
        span.set_attribute("alpes.reason", result.rejection.reason)
    end(span)


def _measure(
    metrics: ServiceMetrics,
    command: IncomingCommand,
    result: Outcome | BaseException,
    latency: float,
    retriable: Callable[[BaseException], bool],
) -> None:
    if isinstance(result, BaseException):
        action = "given-back" if retriable(result) else "dead-lettered"
        metrics.command_failed(command.command_type, action)
        return
    reason = result.rejection.reason if result.rejection is not None else ""
    metrics.command(command.command_type, result.status, reason, latency)


def _log_context(command: IncomingCommand, span: Span | None) -> AbstractContextManager[None]:
    """What every line about this command carries (JSON log lines)."""
    ids = trace_ids(span) if span is not None else {}
    return logs.log_context(
        command_id=command.command_id,
        correlation_id=command.correlation_id,
        campana_id=command.campana_id,
        **ids,
    )


async def _settle(
    delivery: Delivery,
    command: IncomingCommand,
    result: Outcome | BaseException,
    retriable: Callable[[BaseException], bool],
) -> None:
    """Applied, duplicate and rejected commands are acknowledged (a rejection is an
    outcome, with its event); unparseable ones are dead-lettered too. A command still
    failing for an outage is given back; one failing for any other reason, dead-lettered."""
    name, command_id = command.command_type, command.command_id
    if isinstance(result, BaseException):
        if retriable(result):
            log.warning("%s %s: %s; given back", name, command_id, result)
            await delivery.nack(error=result)
        else:
            log.error("%s %s failed; dead-lettered", name, command_id, exc_info=result)
            await delivery.reject("failed", error=result)
    elif result.rejection is None:
        log.info("%s %s: %s", name, command_id, result.status)
        await delivery.ack()
    else:
        log.info("%s %s: rejected %s", name, command_id, result.rejection.reason)
        if result.rejection.dead_letter:
            await delivery.reject(result.rejection.reason.lower())
        else:
            await delivery.ack()
