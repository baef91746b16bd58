"""End to end: the seed's JSON goes in through Pulsar and comes out as a `campana-creada`
event read by a plain pulsar-client consumer, on each real broker and each database, on
both contract versions."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from contracts.examples import example
from contracts.topics import COMMANDS_V2, EVENTS_V2, command_topic, event_topic
from tests.support.brokers import RealBroker
from tests.support.raw import raw_client
from workers.bootstrap import Runtime, build
from workers.settings import Settings

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(params=["pulsar_lite", "apache_pulsar"])
def real(request: pytest.FixtureRequest) -> RealBroker:
    broker: RealBroker = request.getfixturevalue(request.param)
    return broker


@pytest.fixture
async def service(real: RealBroker, database_url: str) -> AsyncIterator[Runtime]:
    settings = Settings(database_url=database_url, command_concurrency=4)
    runtime = build(settings, real.url, embedded=real.name == "pulsar-lite")
    await runtime.app.start()
    try:
        yield runtime
    finally:
        await runtime.app.stop()


@pytest.mark.parametrize("contract", [2, 1])
async def test_the_seed_json_comes_out_as_a_campana_creada_event_on_both_versions(
    real: RealBroker, service: Runtime, contract: int
) -> None:
    """Sent on either version, the command's event is published on both: the v2 stream
    (every event, one topic) and v1's campana-creada topic, with one event_id."""
    import pulsar

    command_id = f"e2e-seed-{contract}-{id(service)}"
    received: dict[str, pulsar.Message] = {}
    async with raw_client(real.url) as client:
        consumers = {
            version: await client.subscribe(
                topic,
                f"e2e-{id(service)}",
                initial_position=pulsar.InitialPosition.Earliest,
                consumer_type=pulsar.ConsumerType.Shared,
            )
            for version, topic in (("2", EVENTS_V2), ("1", event_topic("campana-creada")))
        }
        topic = COMMANDS_V2 if contract == 2 else command_topic("crear-campana")
        producer = await client.create_producer(topic, batching_enabled=False)
        properties = {"command_id": command_id, "correlation_id": "corr-e2e"}
        if contract == 2:
            properties["command_type"] = "crear-campana"
        await producer.send(
            example("crear-campana", contract), properties=properties, partition_key="c-12345"
        )
        async with asyncio.timeout(60):
            for version, consumer in consumers.items():
                while version not in received:
                    message = await consumer.receive()
                    await consumer.acknowledge(message)
                    if message.properties().get("command_id") == command_id:
                        received[version] = message
        for consumer in consumers.values():
            await consumer.close()

    for version, message in received.items():
        body = json.loads(message.data())
        assert body["campana_id"] == "c-12345"
        assert body["nombre"] == "Campaña Moda Primavera 2025"
        assert body["presupuesto"]["divisa"] == "USD"
        assert message.partition_key() == "c-12345"
        props = message.properties()
        assert props["event_type"] == "campana-creada"
        assert props["correlation_id"] == "corr-e2e"
        assert props["schema_version"] == version
        assert props["aggregate_version"] == "1"
    assert received["1"].properties()["event_id"] == received["2"].properties()["event_id"]


def budget(monto: str, divisa: str) -> dict[str, object]:
    return {"campana_id": "c-e2e", "presupuesto": {"monto": monto, "divisa": divisa}}


# Each rejection reason a body or the campaign's state can cause, through the service.
REJECTIONS: list[tuple[str, object, str]] = [
    ("activar-campana", b"{not json", "MALFORMED_MESSAGE"),
    ("activar-campana", {"campana_id": "c-e2e-none"}, "UNKNOWN_CAMPAIGN"),
    ("activar-campana", {"campana_id": "c-e2e", "extra": 1}, "UNKNOWN_FIELD"),
    ("ajustar-presupuesto", {"campana_id": "c-e2e"}, "MISSING_FIELD"),
    ("ajustar-presupuesto", budget("x", "USD"), "INVALID_FIELD"),
    ("ajustar-presupuesto", budget("-1", "USD"), "INVALID_BUDGET"),
    ("ajustar-presupuesto", budget("5", "EUR"), "CURRENCY_CHANGE"),
    ("reanudar-campana", {"campana_id": "c-e2e"}, "ILLEGAL_TRANSITION"),
    (
        "retirar-participante",
        {"campana_id": "c-e2e", "participante_id": "p-x"},
        "UNKNOWN_PARTICIPANT",
    ),
    (
        "agregar-participante",
        {
            "campana_id": "c-e2e",
            "participante": {"id": "p-98765", "tipo": "Influencer", "nombre": "Dup"},
        },
        "DUPLICATE_PARTICIPANT",
    ),
]


@pytest.mark.parametrize("contract", [2, 1])
async def test_a_lifecycle_and_every_rejection_reason_through_pulsar(
    real: RealBroker, service: Runtime, contract: int
) -> None:
    import pulsar

    from adapters.database.read_store import get_campaign
    from workers.client import wait_for_outcome

    seed = json.loads(example("crear-campana", contract))
    seed[("campana_id" if contract == 2 else "id")] = "c-e2e"
    sent: list[tuple[str, str]] = []
    async with raw_client(real.url) as client:
        rejected = await client.subscribe(
            EVENTS_V2 if contract == 2 else event_topic("comando-rechazado"),
            f"e2e-rej-{id(service)}",
            initial_position=pulsar.InitialPosition.Earliest,
            consumer_type=pulsar.ConsumerType.Shared,
        )
        stream = await client.create_producer(COMMANDS_V2, batching_enabled=False)

        async def send(command: str, body: object, command_id: str) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            key = body.get("campana_id", "c-e2e") if isinstance(body, dict) else "c-e2e"
            if contract == 2:
                await stream.send(
                    raw,
                    properties={"command_id": command_id, "command_type": command},
                    partition_key=key,
                )
            else:
                producer = await client.create_producer(
                    command_topic(command), batching_enabled=False
                )
                await producer.send(raw, properties={"command_id": command_id}, partition_key=key)
                await producer.close()
            record = await wait_for_outcome(service.engine, command_id, 30)
            assert record is not None, f"{command} got no outcome"
            sent.append((command_id, record.reason or record.status))

        await send("crear-campana", seed, f"{id(service)}-0")
        for n, command in enumerate(["activar-campana", "pausar-campana", "reanudar-campana"]):
            await send(command, {"campana_id": "c-e2e"}, f"{id(service)}-l{n}")
        for n, (command, body, _) in enumerate(REJECTIONS):
            await send(command, body, f"{id(service)}-r{n}")
        await send("finalizar-campana", {"campana_id": "c-e2e"}, f"{id(service)}-end")

        reasons: dict[str, str] = {}
        async with asyncio.timeout(60):
            while len(reasons) < len(REJECTIONS):
                message = await rejected.receive()
                await rejected.acknowledge(message)
                if message.properties()["event_type"] != "comando-rechazado":
                    continue
                body = json.loads(message.data())
                if body["command_id"].startswith(f"{id(service)}-r"):
                    reasons[body["command_id"]] = body["reason"]
        await rejected.close()
        await stream.close()

    assert [outcome for _, outcome in sent] == (
        ["applied"] * 4 + [reason for _, _, reason in REJECTIONS] + ["applied"]
    )
    assert sorted(reasons.values()) == sorted(reason for _, _, reason in REJECTIONS)
    async with asyncio.timeout(30):
        while (view := await get_campaign(service.engine, "c-e2e")) is None or view.version < 5:
            await asyncio.sleep(0.1)
    assert (view.estado, view.version) == ("finished", 5)


async def test_a_campaigns_v2_commands_sent_at_once_are_applied_in_the_order_sent(
    real: RealBroker, service: Runtime
) -> None:
    """No waiting between sends: the v2 stream alone keeps the order."""
    from workers.client import wait_for_outcome

    campaign = f"c-order-{id(service) % 100000}"
    story = [
        ("crear-campana", json.loads(example("crear-campana", 2)) | {"campana_id": campaign}),
        ("activar-campana", {"campana_id": campaign}),
        ("pausar-campana", {"campana_id": campaign}),
        ("reanudar-campana", {"campana_id": campaign}),
        ("finalizar-campana", {"campana_id": campaign}),
    ]
    async with raw_client(real.url) as client:
        producer = await client.create_producer(COMMANDS_V2, batching_enabled=False)
        for n, (command, body) in enumerate(story):
            await producer.send(
                json.dumps(body).encode(),
                properties={"command_id": f"{campaign}-{n}", "command_type": command},
                partition_key=campaign,
            )
        await producer.close()
    outcomes = [
        await wait_for_outcome(service.engine, f"{campaign}-{n}", 40) for n in range(len(story))
    ]
    assert [o.status if o else None for o in outcomes] == ["applied"] * len(story)


async def test_a_v1_command_that_overtakes_its_create_is_rejected_at_once(
    real: RealBroker, service: Runtime
) -> None:
    """v1 promises no order across its topics, and nothing waits for a predecessor any
    more: a command handled before its campaign exists is rejected, and that is final."""
    from workers.client import wait_for_outcome

    campaign = f"c-v1-{id(service) % 100000}"
    async with raw_client(real.url) as client:
        producer = await client.create_producer(
            command_topic("pausar-campana"), batching_enabled=False
        )
        await producer.send(
            json.dumps({"campana_id": campaign}).encode(),
            properties={"command_id": f"{campaign}-p"},
            partition_key=campaign,
        )
        await producer.close()
    outcome = await wait_for_outcome(service.engine, f"{campaign}-p", 30)
    assert outcome is not None
    assert (outcome.status, outcome.reason) == ("rejected", "UNKNOWN_CAMPAIGN")
