"""One trace from a command to its consumers: the command's span (consumed and applied),
the relay's publish spans, the projector's and the notifier's spans, parented through the
trace context each message carries (and the outbox row keeps), on a real broker. Spans
are read from OpenTelemetry's in-memory exporter."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import select

from adapters.database.engine import create_engine
from adapters.database.migrate import upgrade
from adapters.database.schema import outbox
from adapters.embedded_pulsar import EmbeddedPulsar
from adapters.telemetry.tracing import Tracing
from contracts.examples import example
from contracts.topics import COMMANDS_V2, EVENTS_V2
from tests.support.raw import raw_client, raw_read
from tests.support.servers.pulsar_lite import running_pulsar_lite
from tests.support.waiting import eventually
from workers.bootstrap import WORKERS, Runtime, build
from workers.settings import Settings
from workers.telemetry import Telemetry

pytestmark = [pytest.mark.pulsar_lite, pytest.mark.timeout(120)]

PRODUCER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PRODUCER_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[EmbeddedPulsar]:
    with running_pulsar_lite(tmp_path / "pulsar-lite") as broker:
        yield broker


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def service(
    lite: EmbeddedPulsar, tmp_path: Path, exporter: InMemorySpanExporter
) -> AsyncIterator[Runtime]:
    url = f"sqlite:///{tmp_path / 'alpes.db'}"
    await upgrade(url)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = Settings(
        database_url=url,
        data_dir=tmp_path,
        notification_file=tmp_path / "notifications.jsonl",
        command_concurrency=4,
    )
    telemetry = Telemetry(tracing=Tracing(provider))
    runtime = build(settings, lite.url, WORKERS, embedded=True, telemetry=telemetry)
    await runtime.app.start()
    try:
        yield runtime
    finally:
        await runtime.app.stop()


def hex_id(value: int, width: int) -> str:
    return format(value, f"0{width}x")


def of_trace(exporter: InMemorySpanExporter, trace_id: str) -> list[ReadableSpan]:
    return [
        s
        for s in exporter.get_finished_spans()
        if s.context is not None and hex_id(s.context.trace_id, 32) == trace_id
    ]


def parent_of(span: ReadableSpan) -> str | None:
    return None if span.parent is None else hex_id(span.parent.span_id, 16)


def span_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return hex_id(span.context.span_id, 16)


def the(spans: list[ReadableSpan], name: str, **attributes: str) -> ReadableSpan:
    found = [
        s
        for s in spans
        if s.name == name and all((s.attributes or {}).get(k) == v for k, v in attributes.items())
    ]
    assert len(found) == 1, f"{name} {attributes}: {[s.name for s in spans]}"
    return found[0]


async def send(url: str, command_type: str, command_id: str, body: bytes, **extra: str) -> None:
    async with raw_client(url) as client:
        producer = await client.create_producer(COMMANDS_V2, batching_enabled=False)
        properties = {"command_type": command_type, "command_id": command_id, **extra}
        await producer.send(body, properties=properties, partition_key="c-12345")
        await producer.close()


def whole_path(exporter: InMemorySpanExporter, trace_id: str, event: str) -> bool:
    names = [s.name for s in of_trace(exporter, trace_id)]
    return f"project {event}" in names and f"notify {event}" in names


async def test_one_trace_from_the_producer_through_the_outbox_to_every_consumer(
    service: Runtime, lite: EmbeddedPulsar, exporter: InMemorySpanExporter
) -> None:
    traceparent = f"00-{PRODUCER_TRACE}-{PRODUCER_SPAN}-01"
    await send(
        lite.url,
        "crear-campana",
        "trace-1",
        example("crear-campana", 2),
        traceparent=traceparent,
        tracestate="vendor=abc",
    )
    await eventually(lambda: whole_path(exporter, PRODUCER_TRACE, "campana-creada"), 60)
    spans = of_trace(exporter, PRODUCER_TRACE)

    # command consumed and applied -> relay publish (v2 and v1) -> projector, notifier
    apply = the(spans, "apply crear-campana")
    assert apply.kind is SpanKind.CONSUMER
    assert parent_of(apply) == PRODUCER_SPAN, "the producer's span is the command's parent"
    assert (apply.attributes or {})["alpes.outcome"] == "applied"
    assert (apply.attributes or {})["alpes.command_id"] == "trace-1"
    published = the(spans, "publish campana-creada", **{"messaging.destination.name": EVENTS_V2})
    published_v1 = [s for s in spans if s.name == "publish campana-creada" and s is not published]
    assert len(published_v1) == 1
    for publish in (published, *published_v1):
        assert publish.kind is SpanKind.PRODUCER
        assert parent_of(publish) == span_id(apply)
    for consumer in ("project campana-creada", "notify campana-creada"):
        assert parent_of(the(spans, consumer)) == span_id(published)
    assert len(spans) == 5
    assert apply.context is not None and apply.context.trace_state.get("vendor") == "abc"

    # The outbox row keeps the command's span as its parent, for the relay to continue.
    engine = create_engine(service.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(select(outbox.c.properties))).scalars().all()
    finally:
        await engine.dispose()
    stored = {row["traceparent"] for row in rows}
    assert stored == {f"00-{PRODUCER_TRACE}-{span_id(apply)}-01"}

    # On the wire the event names the relay's publish span.
    [message] = await raw_read(lite.url, EVENTS_V2, 1)
    properties = message.properties()
    assert properties["traceparent"] == f"00-{PRODUCER_TRACE}-{span_id(published)}-01"
    assert properties["tracestate"] == "vendor=abc"
    assert json.loads(message.data())["campana_id"] == "c-12345"


async def test_a_command_without_trace_context_starts_the_trace(
    service: Runtime, lite: EmbeddedPulsar, exporter: InMemorySpanExporter
) -> None:
    await send(lite.url, "crear-campana", "trace-2", example("crear-campana", 2))
    await send(lite.url, "pausar-campana", "trace-3", b'{"campana_id": "c-12345"}')

    def applied(name: str) -> ReadableSpan | None:
        found = [s for s in exporter.get_finished_spans() if s.name == name]
        return found[0] if found else None

    await eventually(lambda: applied("apply pausar-campana") is not None, 60)
    rejected = applied("apply pausar-campana")
    assert rejected is not None and rejected.context is not None
    assert rejected.parent is None, "no context came with the command: a new trace"
    assert (rejected.attributes or {})["alpes.outcome"] == "rejected"
    assert (rejected.attributes or {})["alpes.reason"] == "ILLEGAL_TRANSITION"
    trace_id = hex_id(rejected.context.trace_id, 32)
    await eventually(lambda: whole_path(exporter, trace_id, "comando-rechazado"), 60)
    spans = of_trace(exporter, trace_id)
    published = the(spans, "publish comando-rechazado", **{"messaging.destination.name": EVENTS_V2})
    assert parent_of(published) == span_id(rejected)
    assert parent_of(the(spans, "project comando-rechazado")) == span_id(published)
    assert parent_of(the(spans, "notify comando-rechazado")) == span_id(published)
    await asyncio.sleep(0)


@pytest.fixture
async def untraced(lite: EmbeddedPulsar, tmp_path: Path) -> AsyncIterator[Runtime]:
    url = f"sqlite:///{tmp_path / 'untraced.db'}"
    await upgrade(url)
    settings = Settings(
        database_url=url,
        data_dir=tmp_path,
        notification_file=tmp_path / "notifications.jsonl",
        command_concurrency=4,
    )
    runtime = build(settings, lite.url, ("commands", "relay"), embedded=True)
    assert runtime.telemetry.tracing is None
    await runtime.app.start()
    try:
        yield runtime
    finally:
        await runtime.app.stop()


async def test_without_tracing_the_producers_context_reaches_the_events_as_it_came(
    untraced: Runtime, lite: EmbeddedPulsar
) -> None:
    traceparent = f"00-{PRODUCER_TRACE}-{PRODUCER_SPAN}-01"
    await send(
        lite.url,
        "crear-campana",
        "carried-1",
        example("crear-campana", 2),
        traceparent=traceparent,
        tracestate="vendor=abc",
    )
    # Not W3C trace context: ignored, as the specification says, not copied on.
    await send(
        lite.url,
        "activar-campana",
        "carried-2",
        b'{"campana_id": "c-12345"}',
        traceparent="x" * 900,
    )
    created, activated = await raw_read(lite.url, EVENTS_V2, 2)
    assert created.properties()["event_type"] == "campana-creada"
    assert created.properties()["traceparent"] == traceparent
    assert created.properties()["tracestate"] == "vendor=abc"
    assert activated.properties()["event_type"] == "campana-activada"
    assert "traceparent" not in activated.properties()
