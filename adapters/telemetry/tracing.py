"""OpenTelemetry traces across processes: W3C trace context in message properties.

Off unless the standard variables ask for it: with none of OTEL_TRACES_EXPORTER,
OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_SERVICE_NAME set
(or with OTEL_SDK_DISABLED=true), ``Tracing.from_environment`` returns None and the
workers make no span: what tracing costs them then is one ``is None`` check. When on,
OTEL_TRACES_EXPORTER picks the exporter (``otlp``, the default, over HTTP/protobuf to
OTEL_EXPORTER_OTLP_ENDPOINT; ``console``; ``none``: spans are made and propagated, but
not exported), OTEL_TRACES_SAMPLER the sampler, OTEL_SERVICE_NAME and
OTEL_RESOURCE_ATTRIBUTES the resource, as the OpenTelemetry specification defines them.
"""

import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

# Any of these set (and not OTEL_SDK_DISABLED=true) turns tracing on.
ENABLING = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_SERVICE_NAME",
)
EXPORTERS = ("otlp", "console", "none")

__all__ = ("TRACEPARENT", "TRACESTATE", "SpanKind", "Tracing", "end", "trace_ids")

T = TypeVar("T")


class Tracing:
    """Spans of the service's work, parented by the trace context messages carry."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("alpes")
        self._propagator = TraceContextTextMapPropagator()

    @classmethod
    def from_environment(
        cls, service: str, environ: Mapping[str, str] | None = None
    ) -> "Tracing | None":
        """Tracing as the OTEL_* variables configure it, or None when they leave it off.
        ``service`` names the service when OTEL_SERVICE_NAME does not. A variable with a
        value this service cannot honour raises ValueError naming it."""
        env = os.environ if environ is None else environ
        if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            return None
        if not any(env.get(name, "").strip() for name in ENABLING):
            return None
        names = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "otlp").split(",")] or [
            "otlp"
        ]
        unknown = [n for n in names if n not in EXPORTERS]
        if unknown:
            msg = (
                f"OTEL_TRACES_EXPORTER is {env['OTEL_TRACES_EXPORTER']!r}; expected "
                f"{', '.join(EXPORTERS)} (or several, separated by commas)"
            )
            raise ValueError(msg)
        resource = Resource.create()
        if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
            resource = resource.merge(Resource({SERVICE_NAME: service}))
        provider = TracerProvider(resource=resource)
        for name in dict.fromkeys(names):
            if name != "none":
                provider.add_span_processor(BatchSpanProcessor(_exporter(name, env)))
        return cls(provider)

    def start(
        self,
        name: str,
        properties: Mapping[str, str],
        *,
        kind: SpanKind,
        attributes: Mapping[str, str | int] | None = None,
        received: float | None = None,
    ) -> trace.Span:
        """A span whose parent is the trace context in ``properties`` (a new trace when
        they carry none, or an invalid one). ``received``: when the work began, on the
        ``time.monotonic()`` clock."""
        parent = self._propagator.extract(properties, context=Context())
        start_time = None
        if received is not None:
            start_time = time.time_ns() - int((time.monotonic() - received) * 1e9)
        return self.tracer.start_span(
            name, context=parent, kind=kind, attributes=attributes, start_time=start_time
        )

    async def consume(
        self,
        name: str,
        properties: Mapping[str, str],
        work: Callable[[], Awaitable[T]],
        *,
        topic: str,
        subscription: str,
        event_id: str,
        received: float | None,
        outcome: str,
    ) -> T:
        """``work`` on one consumed event, in a consumer span parented by the event's
        trace context; what it returns is recorded as the span's ``outcome`` attribute."""
        span = self.start(
            name,
            properties,
            kind=SpanKind.CONSUMER,
            received=received,
            attributes={
                "messaging.system": "pulsar",
                "messaging.operation.type": "process",
                "messaging.destination.name": topic,
                "messaging.consumer.group.name": subscription,
                "alpes.event_id": event_id,
            },
        )
        try:
            result = await work()
        except BaseException as error:
            end(span, error.__cause__ or error)
            raise
        span.set_attribute(outcome, result if isinstance(result, bool | int) else str(result))
        end(span)
        return result

    def context_of(self, span: trace.Span) -> dict[str, str]:
        """``traceparent`` (and ``tracestate``, if any) naming ``span`` as the parent."""
        carrier: dict[str, str] = {}
        self._propagator.inject(carrier, context=trace.set_span_in_context(span, Context()))
        return carrier

    def shutdown(self) -> None:
        """Export what is buffered, then stop."""
        self.provider.shutdown()


def end(span: trace.Span, error: BaseException | None = None) -> None:
    """End ``span``, marked failed with ``error`` when given."""
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
    span.end()


def trace_ids(span: trace.Span) -> dict[str, str]:
    """The span's trace and span ids in hex, as log lines carry them."""
    context = span.get_span_context()
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }


def _exporter(name: str, env: Mapping[str, str]) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
    )
    if protocol.strip() != "http/protobuf":
        msg = (
            f"OTEL_EXPORTER_OTLP_PROTOCOL is {protocol!r}; this service exports OTLP over "
            "http/protobuf only (port 4318 of a collector)"
        )
        raise ValueError(msg)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()
