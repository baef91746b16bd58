"""The notification worker, on the v2 event stream: in memory (TestPulsarBroker,
settlement observable) for every event type and failure, then end to end on each real
broker into the JSON-lines file."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from adapters.notifications import LogSender
from adapters.pulsar import PulsarBroker, PulsarSubscriber, TestPulsarBroker
from adapters.pulsar.testing import RecordingSettler
from application.notifications import Notification, NotificationSendError, RecentIds
from contracts.topics import EVENT_TOPICS, EVENTS_V2
from contracts.v2.events import EVENTS
from tests.support.brokers import RealBroker
from tests.support.events import key_of, v2_properties
from tests.support.raw import raw_client, subscription_from_now
from tests.support.waiting import eventually
from workers.dead_letters import DeadLetterTopic, list_dead_letters
from workers.notifications import SUBSCRIPTION, register

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

# Each event type: a v2 body (amounts are decimal strings) and the subject of its
# notification.
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
            "anterior": {"monto": "15000", "divisa": "USD"},
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
    """As on the v2 stream (schema_version 2, event_type naming the event)."""
    version = None if event_type == "comando-rechazado" else 1
    return v2_properties(event_type, event_id, version, occurred_at="2026-11-28T08:00:00.000+00:00")


class RecordingSender:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[Notification] = []

    async def send(self, notification: Notification) -> None:
        if self.failures:
            self.failures -= 1
            raise NotificationSendError("SMTP mail.example:25 is down")
        self.sent.append(notification)


def settler_of(broker: PulsarBroker) -> RecordingSettler:
    """The settler of the one notifications subscriber, on the v2 event stream."""
    [sub] = [s for s in broker.subscribers if isinstance(s, PulsarSubscriber)]
    assert sub.prefixed_topics == (EVENTS_V2,)
    settler = sub.settler
    assert isinstance(settler, RecordingSettler)
    return settler


async def publish(
    br: PulsarBroker,
    event_type: str,
    body: dict[str, Any],
    event_id: str,
    headers: dict[str, str] | None = None,
) -> None:
    """As the relay does on the v2 stream: key = campaign, event_type in the properties."""
    await br.publish(
        json.dumps(body).encode(),
        EVENTS_V2,
        key=key_of(body),
        headers=properties(event_type, event_id) if headers is None else headers,
    )


# -- in memory ---------------------------------------------------------------------------


def test_there_is_one_subscriber_on_the_v2_event_stream_on_the_notifications_subscription() -> None:
    broker = PulsarBroker()
    register(broker, RecordingSender())

    [sub] = broker.subscribers
    assert isinstance(sub, PulsarSubscriber)
    assert (sub.prefixed_topics, sub.subscription) == ((EVENTS_V2,), SUBSCRIPTION)
    assert not set(sub.prefixed_topics) & set(EVENT_TOPICS.values())  # no v1 topic
    assert SUBSCRIPTION == "alpes-notificaciones"


def test_every_v2_event_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(EVENTS)


@pytest.mark.parametrize("event_type", list(EXAMPLES))
async def test_each_event_type_is_notified_with_its_subject(event_type: str) -> None:
    body, subject = EXAMPLES[event_type]
    broker = PulsarBroker()
    sender = RecordingSender()
    register(broker, sender)

    async with TestPulsarBroker(broker) as br:
        await publish(br, event_type, body, "ev-1")
        assert len(settler_of(broker).acked) == 1

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
    body = {"campana_id": "c-1", "estado": "active"}

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(NotificationSendError, match="is down"):
            await publish(br, "campana-activada", body, "ev-1")
        settler = settler_of(broker)
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
        assert len(settler_of(broker).acked) == 3

    assert [n.event_id for n in sender.sent] == ["ev-1", "ev-2"]


@pytest.mark.parametrize(
    ("event_type", "body"),
    [
        ("campana-creada", {"campana_id": "c-1"}),
        # A v1 body: the amounts are JSON numbers, where v2 has decimal strings.
        (
            "presupuesto-ajustado",
            {
                "campana_id": "c-1",
                "anterior": {"monto": 15000, "divisa": "USD"},
                "nuevo": {"monto": 20000.5, "divisa": "USD"},
            },
        ),
    ],
    ids=["missing-fields", "v1-amounts"],
)
async def test_a_body_that_breaks_the_contract_is_dead_lettered_without_a_notification(
    event_type: str, body: dict[str, Any]
) -> None:
    broker = PulsarBroker()
    sender = RecordingSender()
    register(broker, sender)

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(Exception, match="validation error"):
            await publish(br, event_type, body, "ev-1")
        [(_, reason)] = settler_of(broker).dead_lettered

    assert reason["DLQ_REASON"] == "undecodable"
    assert sender.sent == []


@pytest.mark.parametrize(
    "event_type",
    [None, "", "campana-borrada", "campana-creada.v1"],
    ids=["missing", "empty", "unknown", "topic-name"],
)
async def test_an_event_whose_event_type_names_no_v2_event_is_dead_lettered_unnotified(
    event_type: str | None,
) -> None:
    broker = PulsarBroker()
    sender = RecordingSender()
    register(broker, sender)
    headers = {k: v for k, v in properties("campana-creada", "ev-1").items() if k != "event_type"}
    if event_type is not None:
        headers["event_type"] = event_type

    async with TestPulsarBroker(broker) as br:
        await publish(br, "campana-creada", CREADA, "ev-1", headers=headers)
        settler = settler_of(broker)
        [(_, reason)] = settler.dead_lettered
        assert (settler.acked, settler.nacked) == ([], [])
        # The next event, well formed, is notified: one bad message stops nothing.
        await publish(br, "campana-creada", CREADA, "ev-2")
        assert len(settler.acked) == 1

    assert reason["DLQ_REASON"] == "unknown-event-type"
    assert reason["DLQ_EXCEPTION_TYPE"] == "UnknownEventType"
    assert [n.event_id for n in sender.sent] == ["ev-2"]


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
    """The notifications written so far: whole lines only (the sender may be writing one)."""
    if not path.exists():
        return []
    text = path.read_text("utf-8")
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]


@pytest.mark.timeout(180)
async def test_a_campana_creada_published_to_the_broker_lands_in_the_notification_file(
    real: RealBroker, tmp_path: Path
) -> None:
    campana_id = f"c-{uuid.uuid4().hex[:12]}"
    event_id = str(uuid.uuid4())
    path = tmp_path / "notifications.jsonl"
    broker = PulsarBroker(real.url, capabilities=real.capabilities, graceful_timeout=10)
    # Its own subscription: the v2 stream and its history are shared with other tests.
    subscription = await subscription_from_now(real.url, EVENTS_V2, "test-notificaciones")
    register(broker, LogSender(path), subscription=subscription)

    async with running(broker), raw_client(real.url) as client:
        producer = await client.create_producer(EVENTS_V2, batching_enabled=False)
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


@pytest.mark.timeout(180)
async def test_an_event_of_unknown_type_on_the_stream_is_parked_in_the_dlq_and_the_next_notified(
    real: RealBroker, tmp_path: Path
) -> None:
    campana_id = f"c-{uuid.uuid4().hex[:12]}"
    unknown_id, good_id = str(uuid.uuid4()), str(uuid.uuid4())
    path = tmp_path / "notifications.jsonl"
    subscription = await subscription_from_now(real.url, EVENTS_V2, "test-notificaciones")
    broker = PulsarBroker(real.url, capabilities=real.capabilities, graceful_timeout=10)
    register(broker, LogSender(path), subscription=subscription)
    body = json.dumps(CREADA | {"campana_id": campana_id}).encode()

    async with running(broker), raw_client(real.url) as client:
        producer = await client.create_producer(EVENTS_V2, batching_enabled=False)
        unknown = properties("campana-creada", unknown_id) | {"event_type": "campana-clonada"}
        await producer.send(body, properties=unknown, partition_key=campana_id)
        await producer.send(
            body, properties=properties("campana-creada", good_id), partition_key=campana_id
        )
        await producer.close()
        await eventually(lambda: any(n["event_id"] == good_id for n in notified(path)), timeout=60)

    # The subscription reads the shared stream from its start: the DLQ may hold others'
    # bad events too; ours is there, as it came, with why.
    dlq = [DeadLetterTopic(subscription, EVENTS_V2)]
    listing = await list_dead_letters(real.url, topics=dlq, receive_timeout=1.0)
    [parked] = [x for x in listing.letters if x.properties.get("event_id") == unknown_id]
    assert parked.dlq_topic == f"{EVENTS_V2}-{subscription}-DLQ"
    assert (parked.body, parked.key) == (body, campana_id)
    assert parked.reason == "unknown-event-type"
    assert parked.properties["event_type"] == "campana-clonada"
    assert parked.real_topic == EVENTS_V2
    assert unknown_id not in {n["event_id"] for n in notified(path)}
