"""Tracing is configured by the standard OTEL_* variables, and entirely off without them."""

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from adapters.telemetry.tracing import Tracing

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_off_when_no_otel_variable_is_set() -> None:
    assert Tracing.from_environment("alpes-commands", {}) is None
    assert Tracing.from_environment("alpes-commands", {"OTEL_PROPAGATORS": "tracecontext"}) is None


def test_otel_sdk_disabled_wins() -> None:
    env = {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"}
    assert Tracing.from_environment("alpes-commands", env) is None


@pytest.mark.parametrize(
    "env",
    [
        {"OTEL_TRACES_EXPORTER": "none"},
        {"OTEL_TRACES_EXPORTER": "console"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
        {"OTEL_SERVICE_NAME": "campaigns"},
    ],
)
def test_on_when_a_variable_asks_for_it(env: dict[str, str]) -> None:
    tracing = Tracing.from_environment("alpes-commands", env)
    assert tracing is not None
    tracing.shutdown()


def test_the_service_is_named_by_the_worker_unless_otel_service_name_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    tracing = Tracing.from_environment("alpes-relay", {"OTEL_TRACES_EXPORTER": "none"})
    assert tracing is not None
    assert tracing.provider.resource.attributes["service.name"] == "alpes-relay"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "campaigns")
    named = Tracing.from_environment("alpes-relay", {"OTEL_SERVICE_NAME": "campaigns"})
    assert named is not None
    assert named.provider.resource.attributes["service.name"] == "campaigns"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OTEL_TRACES_EXPORTER": "jaeger"}, "OTEL_TRACES_EXPORTER"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
    ],
)
def test_a_value_this_service_cannot_honour_is_refused_by_name(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(ValueError, match=f"^{named} is "):
        Tracing.from_environment("alpes-commands", env)


def test_a_span_continues_the_trace_its_properties_carry() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = Tracing(provider)

    child = tracing.start("apply", {"traceparent": PARENT}, kind=SpanKind.CONSUMER)
    carried = tracing.context_of(child)
    child.end()
    root = tracing.start("apply", {"traceparent": "garbage"}, kind=SpanKind.CONSUMER)
    root.end()

    first, second = exporter.get_finished_spans()
    assert format(first.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert first.parent is not None and format(first.parent.span_id, "016x") == "b7ad6b7169203331"
    assert carried["traceparent"] == (
        f"00-0af7651916cd43dd8448eb211c80319c-{first.context.span_id:016x}-01"
    )
    assert second.parent is None, "an invalid traceparent starts a new trace"
