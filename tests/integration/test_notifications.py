"""The notification worker: in memory (TestPulsarBroker, settlement observable) for every
event type and failure, then end to end on each real broker into the JSON-lines file."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from adapters.notifications import LogSender, Notification, NotificationSendError
from adapters.pulsar import PulsarBroker, TestPulsarBroker
from adapters.pulsar.testing import RecordingSettler
from contracts.topics import EVENT_TOPICS
from tests.support.brokers import RealBroker
from tests.support.raw import raw_client
from tests.support.waiting import eventually
from workers.notifications import SUBSCRIPTION, RecentIds, register

CREADA = {
    "campana_id": "c-12345",
    "nombre": "Campaña Moda Primavera 2025",
    "tipo": "Influencer",
    "estado": "draft",
    "fecha_inicio": "2025-09-10T00:00:00Z",
    "fecha_fin": "2025-12-10T23:59:59Z",
    "presupuesto": {"monto": "15000.00", "divisa": "USD"},
    "marca_id": "b-12345",
    "participantes": [
        {"id": "p-98765", "tipo": "Influencer", "nombre": "Alice Doe"},
        {"id": "p-54321", "tipo": "Affiliate", "nombre": "Blog Moda Trends"},
    ],
}

# Each event type: a v1 body and the subject of its notification.
EXAMPLES: dict[str, tuple[dict[str, Any], str]] = {
    "campana-creada": (
        CREADA,
        "Campaña c-12345 creada: Campaña Moda Primavera 2025 (Influencer), "
        "presupuesto 15000 USD, 2 participantes",
    ),
    "campana-activada": ({"campana_id": "c-1", "estado": "active"}, "Campaña c-1 activada"),
    "campana-pausada": ({"campana_id": "c-1", "estado": "paused"}, "Campaña c-1 pausada"),
    "campana-reanudada": ({"campana_id": "c-1", "estado": "active"}, "Campaña c-1 reanudada"),
    "campana-finalizada": ({"campana_id": "c-1", "estado": "finished"}, "Campaña c-1 finalizada"),
    "participante-agregado": (
        {
            "campana_id": "c-1",
            "participante": {"id": "p-7", "tipo": "Affiliate", "nombre": "Blog Moda Trends"},
        },
        "Participante p-7 agregado a la campaña c-1: Blog Moda Trends (Affiliate)",
    ),
    "participante-retirado": (
        {"campana_id": "c-1", "participante_id": "p-7"},
        "Participante p-7 retirado de la campaña c-1",
    ),
    "presupuesto-ajustado": (
        {
            "campana_id": "c-1",
            "anterior": {"monto": 15000, "divisa": "USD"},
            "nuevo": {"monto": "20000.50", "divisa": "USD"},
        },
        "Presupuesto de la campaña c-1 ajustado: 15000 USD -> 20000.5 USD",
    ),
    "comando-rechazado": (
        {
            "command_id": "cmd-9",
            "command_type": "crear-campana",
            "campana_id": "c-1",
            "reason": "INVALID_DATE_RANGE",
            "field": "fecha_fin",
            "message": "fecha_fin 2025-01-01 must be after fecha_inicio 2025-09-10",
        },
        "Comando rechazado: crear-campana (c-1), INVALID_DATE_RANGE: "
        "fecha_fin 2025-01-01 must be after fecha_inicio 2025-09-10",
    ),
}


def properties(event_type: str, event_id: str) -> dict[str, str]:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": "2026-11-28T08:00:00.000+00:00",
        "aggregate_version": "1",
        "command_id": f"cmd-{event_id}",
        "correlation_id": f"corr-{event_id}",
        "schema_version": "1",
        "content-type": "application/json",
    }


class RecordingSender:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[Notification] = []

    async def send(self, notification: Notification) -> None:
        if self.failures:
            self.failures -= 1
            raise NotificationSendError("SMTP mail.example:25 is down")
        self.sent.append(notification)


def settler_of(broker: PulsarBroker, topic: str) -> RecordingSettler:
    [sub] = [s for s in broker.subscribers if topic in s.prefixed_topics]  # type: ignore[attr-defined]
    settler = sub.settler  # type: ignore[attr-defined]
    assert isinstance(settler, RecordingSettler)
    return settler


async def publish(br: PulsarBroker, event_type: str, body: dict[str, Any], event_id: str) -> None:
    await br.publish(
        json.dumps(body).encode(),
        EVENT_TOPICS[event_type],
        key=body.get("campana_id") or "",
        headers=properties(event_type, event_id),
    )


# -- in memory ---------------------------------------------------------------------------


def test_there_is_one_subscriber_per_event_topic_on_the_notifications_subscription() -> None:
    broker = PulsarBroker()
    register(broker, RecordingSender())

    subscribed = {
        (topic, sub.subscription)  # type: ignore[attr-defined]
        for sub in broker.subscribers
        for topic in sub.prefixed_topics  # type: ignore[attr-defined]
    }
    assert subscribed == {(topic, SUBSCRIPTION) for topic in EVENT_TOPICS.values()}
    assert SUBSCRIPTION == "alpes-notificaciones"
    assert len(broker.subscribers) == len(EVENT_TOPICS)


@pytest.mark.parametrize("event_type", list(EXAMPLES))
async def test_each_event_type_is_notified_with_its_subject(event_type: str) -> None:
    body, subject = EXAMPLES[event_type]
    broker = PulsarBroker()
    sender = RecordingSender()
    register(broker, sender)

    async with TestPulsarBroker(broker) as br:
        await publish(br, event_type, body, "ev-1")
        assert len(settler_of(broker, EVENT_TOPICS[event_type]).acked) == 1

    [sent] = sender.sent
    assert sent.subject == subject
    assert (sent.event_id, sent.event_type) == ("ev-1", event_type)
    assert sent.campana_id == body["campana_id"]
    assert sent.occurred_at.isoformat() == "2026-11-28T08:00:00+00:00"
    assert sent.text.startswith(subject + "\n")
    assert "ev-1" in sent.text


async def test_the_created_campaign_notification_lists_brand_dates_and_participants() -> None:
    broker = PulsarBroker()
    sender = RecordingSender()
    register(broker, sender)

    async with TestPulsarBroker(broker) as br:
        await publish(br, "campana-creada", CREADA, "ev-1")

    [sent] = sender.sent
    assert "Marca: b-12345" in sent.text
    assert "Del 2025-09-10T00:00:00+00:00 al 2025-12-10T23:59:59+00:00" in sent.text
    assert "Participante: p-54321 Blog Moda Trends (Affiliate)" in sent.text


async def test_a_failing_send_nacks_the_event_so_it_is_redelivered_and_then_notified() -> None:
    broker = PulsarBroker()
    sender = RecordingSender(failures=1)
    register(broker, sender)
    topic = EVENT_TOPICS["campana-activada"]
    body = {"campana_id": "c-1", "estado": "active"}

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(NotificationSendError, match="is down"):
            await publish(br, "campana-activada", body, "ev-1")
        settler = settler_of(broker, topic)
        assert (len(settler.nacked), settler.acked, settler.dead_lettered) == (1, [], [])
        assert sender.sent == []

        await publish(br, "campana-activada", body, "ev-1")  # the redelivery

        assert len(settler.acked) == 1
    assert [n.event_id for n in sender.sent] == ["ev-1"]


async def test_an_event_delivered_again_after_its_notification_is_not_notified_twice() -> None:
    broker = PulsarBroker()
    sender = RecordingSender()
    register(broker, sender)
    body = {"campana_id": "c-1", "estado": "paused"}

    async with TestPulsarBroker(broker) as br:
        await publish(br, "campana-pausada", body, "ev-1")
        await publish(br, "campana-pausada", body, "ev-1")
        await publish(br, "campana-pausada", body, "ev-2")
        assert len(settler_of(broker, EVENT_TOPICS["campana-pausada"]).acked) == 3

    assert [n.event_id for n in sender.sent] == ["ev-1", "ev-2"]


async def test_a_body_that_breaks_the_contract_is_dead_lettered_without_a_notification() -> None:
    broker = PulsarBroker()
    sender = RecordingSender()
    register(broker, sender)
    topic = EVENT_TOPICS["campana-creada"]

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(Exception, match="validation error"):
            await publish(br, "campana-creada", {"campana_id": "c-1"}, "ev-1")
        [(_, reason)] = settler_of(broker, topic).dead_lettered

    assert reason["DLQ_REASON"] == "undecodable"
    assert sender.sent == []


def test_the_recent_ids_forget_the_least_recently_seen_first() -> None:
    recent = RecentIds(capacity=2)
    recent.add("a")
    recent.add("b")
    recent.add("a")  # seen again: now the most recent
    recent.add("c")

    assert ("a" in recent, "b" in recent, "c" in recent) == (True, False, True)
    assert len(recent) == 2


# -- on a real broker --------------------------------------------------------------------


@pytest.fixture(
    params=[
        pytest.param("pulsar_lite", marks=pytest.mark.pulsar_lite),
        pytest.param("apache_pulsar", marks=pytest.mark.apache_pulsar),
    ]
)
def real(request: pytest.FixtureRequest) -> RealBroker:
    broker: RealBroker = request.getfixturevalue(request.param)
    return broker


@asynccontextmanager
async def running(broker: PulsarBroker) -> AsyncIterator[PulsarBroker]:
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


def notified(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.mark.timeout(180)
async def test_a_campana_creada_published_to_the_broker_lands_in_the_notification_file(
    real: RealBroker, tmp_path: Path
) -> None:
    campana_id = f"c-{uuid.uuid4().hex[:12]}"
    event_id = str(uuid.uuid4())
    path = tmp_path / "notifications.jsonl"
    broker = PulsarBroker(real.url, capabilities=real.capabilities, graceful_timeout=10)
    # Its own subscription: the event topics and their history are shared with other tests.
    register(broker, LogSender(path), subscription=f"test-notificaciones-{uuid.uuid4().hex}")

    async with running(broker), raw_client(real.url) as client:
        producer = await client.create_producer(
            EVENT_TOPICS["campana-creada"], batching_enabled=False
        )
        await producer.send(
            json.dumps(CREADA | {"campana_id": campana_id}).encode(),
            properties=properties("campana-creada", event_id),
            partition_key=campana_id,
        )
        await producer.close()
        await eventually(lambda: any(n["event_id"] == event_id for n in notified(path)), timeout=60)

    [line] = [n for n in notified(path) if n["event_id"] == event_id]
    assert line["campana_id"] == campana_id
    assert line["event_type"] == "campana-creada"
    assert line["subject"].startswith(f"Campaña {campana_id} creada: Campaña Moda Primavera")
    assert line["occurred_at"] == "2026-11-28T08:00:00+00:00"
