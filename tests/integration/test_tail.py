"""`alpes events tail`: Readers on the v2 event stream of a real broker (one per partition
when it is partitioned; several topics merged), until stopped.

The v2 stream is shared with other tests (and kept for the session), so each test uses
its own campaign ids and looks only at those; a test that needs a stream of its own (a
partitioned one, a second topic) uses a unique topic."""

import asyncio
import inspect
import json
import signal
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pulsar.asyncio
import pytest

from adapters.embedded_pulsar import free_port
from adapters.pulsar import BrokerUnavailableError
from contracts.topics import EVENT_TOPICS, EVENTS_V2
from tests.support.brokers import RealBroker
from tests.support.cli import ALPES, env_for
from tests.support.events import key_of, v2_properties
from tests.support.raw import raw_client
from workers.tail import TailedEvent, format_event, tail

pytestmark = pytest.mark.timeout(180)

CREADA = {
    "nombre": "Campaña Moda Primavera 2025",
    "tipo": "Influencer",
    "estado": "draft",
    "fecha_inicio": "2025-09-10T00:00:00Z",
    "fecha_fin": "2025-12-10T23:59:59Z",
    "presupuesto": {"monto": "15000.00", "divisa": "USD"},
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
    """Publishes events as the relay does (bytes, key = campaign, properties): on the v2
    stream by default (event_type and schema_version "2" in the properties); returns the
    event ids."""

    def __init__(self, client: pulsar.asyncio.Client) -> None:
        self._client = client
        self._producers: dict[str, pulsar.asyncio.Producer] = {}

    async def publish(
        self,
        event_type: str,
        body: Mapping[str, object],
        version: int | None = None,
        *,
        topic: str = EVENTS_V2,
        event_id: str | None = None,
        schema_version: str = "2",
    ) -> str:
        producer = self._producers.get(topic)
        if producer is None:
            producer = await self._client.create_producer(topic, batching_enabled=False)
            self._producers[topic] = producer
        event_id = event_id or str(uuid.uuid4())
        properties = v2_properties(
            event_type,
            event_id,
            version,
            occurred_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        ) | {"schema_version": schema_version}
        await producer.send(
            json.dumps(body).encode(), partition_key=key_of(body), properties=properties
        )
        return event_id

    async def publish_both(
        self, event_type: str, body: Mapping[str, object], version: int | None = None
    ) -> str:
        """As the relay does for each event: v2 on the stream, then the deprecated v1 copy
        (same event_id) on the event type's own topic."""
        event_id = await self.publish(event_type, body, version)
        await self.publish(
            event_type,
            body,
            version,
            topic=EVENT_TOPICS[event_type],
            event_id=event_id,
            schema_version="1",
        )
        return event_id


def test_tail_reads_the_v2_event_stream_by_default() -> None:
    assert inspect.signature(tail).parameters["topics"].default == (EVENTS_V2,)


async def test_tail_from_the_beginning_shows_each_event_once_from_the_v2_stream_then_returns(
    real: RealBroker,
) -> None:
    campana_id = new_campana_id()
    stop = asyncio.Event()
    seen: list[TailedEvent] = []

    async def on_event(event: TailedEvent) -> None:
        if event.campana_id == campana_id:
            seen.append(event)
            if event.event_type == "campana-pausada":  # the last one published
                stop.set()

    async with raw_client(real.url) as client:
        events = Events(client)
        created = await events.publish_both(
            "campana-creada", CREADA | {"campana_id": campana_id}, 1
        )
        activated = await events.publish_both(
            "campana-activada", {"campana_id": campana_id, "estado": "active"}, 2
        )
        paused = await events.publish_both(
            "campana-pausada", {"campana_id": campana_id, "estado": "paused"}, 3
        )

    await asyncio.wait_for(
        tail(real.url, from_beginning=True, on_event=on_event, stop=stop), timeout=90
    )

    # Once each (the v1 copies are not read), in the campaign's order, all from v2.
    assert [(e.event_type, e.event_id) for e in seen] == [
        ("campana-creada", created),
        ("campana-activada", activated),
        ("campana-pausada", paused),
    ]
    assert {(e.topic, e.properties["schema_version"]) for e in seen} == {(EVENTS_V2, "2")}
    creada = seen[0]
    assert creada.body["nombre"] == "Campaña Moda Primavera 2025"
    assert creada.properties["aggregate_version"] == "1"
    line = format_event(creada)
    assert "campana-creada" in line and campana_id in line
    assert f"Campaña {campana_id} creada: Campaña Moda Primavera 2025 (Influencer)" in line
    assert "presupuesto 15000 USD" in line


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
        await events.publish("campana-pausada", {"campana_id": campana_id, "estado": "paused"}, 3)
        task = asyncio.create_task(
            tail(real.url, from_beginning=False, on_event=on_event, stop=stop, ready=ready)
        )
        await asyncio.wait_for(ready.wait(), timeout=60)
        later = await events.publish(
            "campana-reanudada", {"campana_id": campana_id, "estado": "active"}, 4
        )
        async with asyncio.timeout(60):
            while not seen:
                await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    assert [(e.event_type, e.event_id) for e in seen] == [("campana-reanudada", later)]


async def test_every_event_published_while_tailing_two_topics_arrives_in_order_per_topic(
    real: RealBroker, topic: str
) -> None:
    """The v2 stream and another topic, merged: on the stream a campaign's events keep
    their order across event types; nothing is lost while tail waits or the handler awaits."""
    campana_id = new_campana_id()
    stop, ready = asyncio.Event(), asyncio.Event()
    seen: list[TailedEvent] = []

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
            topics=(EVENTS_V2, topic),
            ready=ready,
        )
    )
    await asyncio.wait_for(ready.wait(), timeout=60)
    published: dict[str, list[str]] = {EVENTS_V2: [], topic: []}
    async with raw_client(real.url) as client:
        events = Events(client)
        for i in range(30):
            participante = {"id": f"p-{i}", "tipo": "Affiliate", "nombre": f"P {i}"}
            body: dict[str, object]
            if i % 2:
                name, body = "participante-retirado", {"participante_id": f"p-{i}"}
            else:
                name, body = "participante-agregado", {"participante": participante}
            where = topic if i % 3 == 2 else EVENTS_V2
            event_id = await events.publish(
                name, {"campana_id": campana_id, **body}, i + 2, topic=where
            )
            published[where].append(event_id)
            await asyncio.sleep(0.02)  # now and then tail is idle, waiting on both reads
        async with asyncio.timeout(30):
            while len(seen) < 30:
                await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=30)

    for where, event_ids in published.items():
        assert [e.event_id for e in seen if e.topic == where] == event_ids
    assert len(seen) == 30


@pytest.mark.apache_pulsar
async def test_tail_reads_every_partition_of_a_partitioned_stream(
    apache_pulsar: RealBroker, topic: str
) -> None:
    """One Reader per partition: what is already there and what comes while tailing, from
    each partition, and a campaign's events (one key, so one partition) in order."""
    name = topic.rsplit("/", 1)[-1]
    apache_pulsar.admin("PUT", f"/admin/v2/persistent/public/default/{name}/partitions", 3)
    stop, ready = asyncio.Event(), asyncio.Event()
    seen: list[TailedEvent] = []
    expected: list[str] = []

    def on_event(event: TailedEvent) -> None:
        seen.append(event)
        if len(seen) >= len(expected) > 0:
            stop.set()

    keyed = [new_campana_id() for _ in range(6)]
    published: dict[str, list[str]] = {c: [] for c in keyed}
    async with raw_client(apache_pulsar.url) as client:
        events = Events(client)
        # Before tail starts: one event straight onto each partition.
        early = [
            await events.publish(
                "campana-creada",
                CREADA | {"campana_id": new_campana_id()},
                1,
                topic=f"{topic}-partition-{i}",
            )
            for i in range(3)
        ]
        task = asyncio.create_task(
            tail(
                apache_pulsar.url,
                from_beginning=True,
                on_event=on_event,
                stop=stop,
                topics=(topic,),
                ready=ready,
            )
        )
        await asyncio.wait_for(ready.wait(), timeout=60)
        # While tailing: through the partitioned topic, by key, as the relay publishes.
        for version in range(2, 6):
            for campana_id in keyed:
                estado = "active" if version % 2 == 0 else "paused"
                event_type = "campana-activada" if estado == "active" else "campana-pausada"
                published[campana_id].append(
                    await events.publish(
                        event_type,
                        {"campana_id": campana_id, "estado": estado},
                        version,
                        topic=topic,
                    )
                )
        expected.extend(early + [i for ids in published.values() for i in ids])
        if len(seen) >= len(expected):
            stop.set()
        await asyncio.wait_for(task, timeout=60)

    assert sorted(e.event_id for e in seen) == sorted(expected)
    assert {e.topic for e in seen} == {topic}
    for campana_id, event_ids in published.items():
        assert [e.event_id for e in seen if e.campana_id == campana_id] == event_ids


async def test_the_tail_command_shows_only_the_campaigns_and_event_types_asked_for(
    real: RealBroker, tmp_path: Path
) -> None:
    """`alpes events tail --campaign ID --event NAME`: the filters are applied to the one
    stream, client-side."""
    wanted, other = new_campana_id(), new_campana_id()
    async with raw_client(real.url) as client:
        events = Events(client)
        await events.publish("campana-creada", CREADA | {"campana_id": wanted}, 1)
        await events.publish("campana-creada", CREADA | {"campana_id": other}, 1)
        await events.publish("campana-activada", {"campana_id": other, "estado": "active"}, 2)
        # Published last: once it is shown, everything before it was read and filtered.
        await events.publish("campana-activada", {"campana_id": wanted, "estado": "active"}, 2)

    env = env_for(tmp_path) | {
        "ALPES_PULSAR_URL": real.url,
        "ALPES_PULSAR_FLAVOR": "lite" if real.name == "pulsar-lite" else "apache",
        "PYTHONUNBUFFERED": "1",
    }
    process = await asyncio.create_subprocess_exec(
        *ALPES,
        "events",
        "tail",
        "--from-beginning",
        "--campaign",
        wanted,
        "--event",
        "campana-activada",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(90):
            while not any(wanted in line for line in lines):
                line = await process.stdout.readline()
                assert line, (await process.stderr.read()).decode() if process.stderr else ""
                lines.append(line.decode().rstrip("\n"))
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: stops tailing, exits 0
        rest, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()

    shown = [line for line in [*lines, *rest.decode().splitlines()] if line.strip()]
    assert len(shown) == 1, shown
    assert shown[0].split()[1:3] == ["campana-activada", wanted]
    assert shown[0].endswith(f"Campaña {wanted} activada")


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
        topic=EVENTS_V2,
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


def test_an_event_line_shows_v2_amounts_as_decimals() -> None:
    line = format_event(
        event(
            "presupuesto-ajustado",
            {
                "campana_id": "c-1",
                "anterior": {"monto": "15000.00", "divisa": "USD"},
                "nuevo": {"monto": "20000.50", "divisa": "USD"},
            },
        )
    )
    assert line.endswith("Presupuesto de la campaña c-1 ajustado: 15000 USD -> 20000.5 USD")


def test_a_v1_body_on_the_v2_stream_is_shown_with_its_fields() -> None:
    body: dict[str, object] = {"campana_id": "c-1", "anterior": {"monto": 15000, "divisa": "USD"}}
    line = format_event(event("presupuesto-ajustado", body))
    assert line.endswith("anterior={'monto': 15000, 'divisa': 'USD'}")
