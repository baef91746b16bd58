"""The relay's publisher, measured and traced: events published by type, and one
``publish`` span per event, the child of the span of the command that caused it (its
outbox row keeps that command's ``traceparent``). The message goes out naming the
publish span as its parent, so consumers' spans hang under it."""

import dataclasses
from collections.abc import Sequence

from adapters.telemetry.metrics import ServiceMetrics, event_label
from adapters.telemetry.tracing import SpanKind, Tracing, end
from application.ports import EventPublisher
from application.records import OutboxMessage
from contracts import properties as p


class InstrumentedPublisher:
    """``application.ports.EventPublisher`` around another one."""

    def __init__(
        self, inner: EventPublisher, metrics: ServiceMetrics | None, tracing: Tracing | None
    ) -> None:
        self._inner = inner
        self._metrics = metrics
        self._tracing = tracing

    async def publish_events(self, messages: Sequence[OutboxMessage]) -> list[BaseException | None]:
        tracing = self._tracing
        if tracing is None:
            results = await self._inner.publish_events(messages)
        else:
            spans = [
                tracing.start(
                    f"publish {event_label(m.properties.get(p.EVENT_TYPE, ''))}",
                    m.properties,
                    kind=SpanKind.PRODUCER,
                    attributes={
                        "messaging.system": "pulsar",
                        "messaging.operation.type": "send",
                        "messaging.destination.name": m.topic,
                        "alpes.event_id": m.event_id,
                        "alpes.campana_id": m.key,
                    },
                )
                for m in messages
            ]
            traced = [
                dataclasses.replace(m, properties=m.properties | tracing.context_of(span))
                for m, span in zip(messages, spans, strict=True)
            ]
            results = await self._inner.publish_events(traced)
            for span, error in zip(spans, results, strict=True):
                end(span, error)
        if self._metrics is not None:
            for message, error in zip(messages, results, strict=True):
                if error is None:
                    self._metrics.published(
                        message.properties.get(p.EVENT_TYPE, ""),
                        message.properties.get(p.SCHEMA_VERSION, ""),
                    )
        return results
