"""`alpes events tail`: Readers on the event topics of a real broker, merged, until stopped.

The event topics are shared with other tests (and kept for the session), so each test
uses its own campaign ids and looks only at those."""

import asyncio
import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import pulsar.asyncio
import pytest

from adapters.embedded_pulsar import free_port
from adapters.pulsar import BrokerUnavailableError
from contracts.topics import EVENT_TOPICS
from tests.support.brokers import RealBroker
from tests.support.raw import raw_client
from workers.tail import TailedEvent, format_event, tail

pytestmark = pytest.mark.timeout(180)

CREADA = {
    "nombre": "Campaña Moda Primavera 2025",
    "tipo": "Influencer",
    "estado": "draft",
    "fecha_inicio": "2025-09-10T00:00:00Z",
    "fecha_fin": "2025-12-10T23:59:59Z",
    "presupuesto": {"monto": 15000.0, "divisa": "USD"},
    "marca_id": "b-12345",
    "participantes": [],
}


@pytest.fixture(
    params=[
        pytest.param("pulsar_lite", marks=pytest.mark.pulsar_lite),
        pytest.param("apache_pulsar", marks=pytest.mark.apache_pulsar),
    ]
)
def real(request: pytest.FixtureRequest) -> RealBroker:
    broker: RealBroker = request.getfixturevalue(request.param)
    return broker


def new_campana_id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


class Events:
    """Publishes v1 events as the relay does (bytes, key, properties); returns event ids."""

    def __init__(self, client: pulsar.asyncio.Client) -> None:
        self._client = client
        self._producers: dict[str, pulsar.asyncio.Producer] = {}

    async def publish(self, event_type: str, body: Mapping[str, object]) -> str:
        producer = self._producers.get(event_type)
        if producer is None:
            producer = await self._client.create_producer(
                EVENT_TOPICS[event_type], batching_enabled=False
            )
            self._producers[event_type] = producer
        event_id = str(uuid.uuid4())
        await producer.send(
            json.dumps(body).encode(),
            partition_key=str(body["campana_id"]),
            properties={
                "event_id": event_id,
                "event_type": event_type,
                "occurred_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "schema_version": "1",
                "content-type": "application/json",
            },
        )
        return event_id


async def test_tail_from_the_beginning_merges_two_topics_then_returns_once_stopped(
    real: RealBroker,
) -> None:
    campana_id = new_campana_id()
    stop = asyncio.Event()
    seen: list[TailedEvent] = []

    async def on_event(event: TailedEvent) -> None:
        if event.campana_id == campana_id:
            seen.append(event)
            if len(seen) == 2:
                stop.set()

    async with raw_client(real.url) as client:
        events = Events(client)
        created = await events.publish("campana-creada", CREADA | {"campana_id": campana_id})
        activated = await events.publish(
            "campana-activada", {"campana_id": campana_id, "estado": "active"}
        )

    await asyncio.wait_for(
        tail(real.url, from_beginning=True, on_event=on_event, stop=stop), timeout=90
    )

    by_type = {e.event_type: e for e in seen}
    assert set(by_type) == {"campana-creada", "campana-activada"}
    creada = by_type["campana-creada"]
    assert (creada.event_id, creada.topic) == (created, EVENT_TOPICS["campana-creada"])
    assert by_type["campana-activada"].event_id == activated
    assert creada.body["nombre"] == "Campaña Moda Primavera 2025"
    assert creada.properties["schema_version"] == "1"
    line = format_event(creada)
    assert "campana-creada" in line and campana_id in line
    assert f"Campaña {campana_id} creada: Campaña Moda Primavera 2025 (Influencer)" in line


async def test_a_tail_from_now_on_sees_only_events_published_after_it_started(
    real: RealBroker,
) -> None:
    campana_id = new_campana_id()
    stop, ready = asyncio.Event(), asyncio.Event()
    seen: list[TailedEvent] = []

    def on_event(event: TailedEvent) -> None:  # a plain function will do
        if event.campana_id == campana_id:
            seen.append(event)

    async with raw_client(real.url) as client:
        events = Events(client)
        await events.publish("campana-pausada", {"campana_id": campana_id, "estado": "paused"})
        task = asyncio.create_task(
            tail(real.url, from_beginning=False, on_event=on_event, stop=stop, ready=ready)
        )
        await asyncio.wait_for(ready.wait(), timeout=60)
        later = await events.publish(
            "campana-reanudada", {"campana_id": campana_id, "estado": "active"}
        )
        async with asyncio.timeout(60):
            while not seen:
                await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    assert [(e.event_type, e.event_id) for e in seen] == [("campana-reanudada", later)]


async def test_every_event_published_while_tailing_arrives_in_order_per_topic(
    real: RealBroker,
) -> None:
    campana_id = new_campana_id()
    stop, ready = asyncio.Event(), asyncio.Event()
    seen: list[TailedEvent] = []
    topics = [EVENT_TOPICS["participante-agregado"], EVENT_TOPICS["participante-retirado"]]

    async def on_event(event: TailedEvent) -> None:
        if event.campana_id == campana_id:
            seen.append(event)
            await asyncio.sleep(0)  # an awaiting handler, while reads stay pending

    task = asyncio.create_task(
        tail(
            real.url,
            from_beginning=False,
            on_event=on_event,
            stop=stop,
            topics=topics,
            ready=ready,
        )
    )
    await asyncio.wait_for(ready.wait(), timeout=60)
    published: list[tuple[str, str]] = []
    async with raw_client(real.url) as client:
        events = Events(client)
        for i in range(20):
            participante = {"id": f"p-{i}", "tipo": "Affiliate", "nombre": f"P {i}"}
            body: dict[str, object]
            if i % 2:
                name, body = "participante-retirado", {"participante_id": f"p-{i}"}
            else:
                name, body = "participante-agregado", {"participante": participante}
            published.append((name, await events.publish(name, {"campana_id": campana_id, **body})))
            await asyncio.sleep(0.02)  # now and then tail is idle, waiting on both reads
        async with asyncio.timeout(30):
            while len(seen) < len(published):
                await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=30)

    for name in ("participante-agregado", "participante-retirado"):
        assert [e.event_id for e in seen if e.event_type == name] == [
            event_id for n, event_id in published if n == name
        ]
    assert len(seen) == 20


async def test_tailing_an_unreachable_broker_fails_naming_its_url() -> None:
    url = f"pulsar://127.0.0.1:{free_port()}"
    started = time.monotonic()

    with pytest.raises(BrokerUnavailableError, match=url):
        await tail(
            url,
            from_beginning=True,
            on_event=lambda e: None,
            stop=asyncio.Event(),
            connect_timeout=2,
        )

    assert time.monotonic() - started < 30


def event(event_type: str, body: dict[str, object], key: str = "c-1") -> TailedEvent:
    return TailedEvent(
        topic=EVENT_TOPICS.get(event_type, "persistent://public/default/other"),
        event_type=event_type,
        event_id="ev-1",
        campana_id=key,
        occurred_at=datetime(2026, 11, 28, 8, 0, 1, tzinfo=UTC),
        body=body,
    )


def test_an_event_line_shows_time_type_campaign_and_what_happened() -> None:
    line = format_event(
        event(
            "comando-rechazado",
            {
                "command_id": "cmd-9",
                "command_type": "ajustar-presupuesto",
                "campana_id": "c-7",
                "reason": "INVALID_AMOUNT",
                "field": "presupuesto.monto",
                "message": "presupuesto.monto -5 must be > 0",
            },
            key="c-7",
        )
    )

    assert line.split()[:3] == ["2026-11-28T08:00:01Z", "comando-rechazado", "c-7"]
    assert line.endswith(
        "Comando rechazado: ajustar-presupuesto (c-7), INVALID_AMOUNT: "
        "presupuesto.monto -5 must be > 0"
    )
    assert "\n" not in line


def test_an_event_off_the_contract_is_still_shown_with_its_fields() -> None:
    line = format_event(event("campana-activada", {"campana_id": "c-1", "estado": "??"}))
    assert line.endswith("estado=??")
    assert format_event(event("campana-activada", {})).endswith("(no JSON object in the body)")
