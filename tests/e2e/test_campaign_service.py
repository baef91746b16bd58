"""End to end: the seed's JSON goes in through Pulsar and comes out as a `campana-creada`
event read by a plain pulsar-client consumer, on each real broker and each database."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from contracts.examples import example
from contracts.topics import command_topic, event_topic
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
    settings = Settings(
        database_url=database_url,
        command_concurrency=4,
        command_settle_seconds=1.0,
        command_settle_attempts=2,
    )
    runtime = build(settings, real.url, embedded=real.name == "pulsar-lite")
    await runtime.app.start()
    try:
        yield runtime
    finally:
        await runtime.app.stop()


async def test_the_seed_json_comes_out_as_a_campana_creada_event(
    real: RealBroker, service: Runtime
) -> None:
    async with raw_client(real.url) as client:
        events = await client.subscribe(
            event_topic("campana-creada"),
            f"e2e-{id(service)}",
            initial_position=__import__("pulsar").InitialPosition.Earliest,
            consumer_type=__import__("pulsar").ConsumerType.Shared,
        )
        producer = await client.create_producer(
            command_topic("crear-campana"), batching_enabled=False
        )
        await producer.send(
            example("crear-campana"),
            properties={"command_id": "e2e-seed-1", "correlation_id": "corr-e2e"},
            partition_key="c-12345",
        )
        async with asyncio.timeout(60):
            while True:
                message = await events.receive()
                await events.acknowledge(message)
                if message.properties().get("command_id") == "e2e-seed-1":
                    break
        await events.close()

    body = json.loads(message.data())
    assert body["campana_id"] == "c-12345"
    assert body["nombre"] == "Campaña Moda Primavera 2025"
    assert body["presupuesto"] == {"monto": "15000", "divisa": "USD"}
    assert message.partition_key() == "c-12345"
    props = message.properties()
    assert props["event_type"] == "campana-creada"
    assert props["correlation_id"] == "corr-e2e"
    assert props["schema_version"] == "1"
    assert len(props["event_id"]) == 36


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
    ("retirar-participante", {"campana_id": "c-e2e", "participante_id": "p-x"},
     "UNKNOWN_PARTICIPANT"),
    ("agregar-participante",
     {"campana_id": "c-e2e", "participante": {"id": "p-98765", "tipo": "Influencer",
                                              "nombre": "Dup"}},
     "DUPLICATE_PARTICIPANT"),
]


async def test_a_lifecycle_and_every_rejection_reason_through_pulsar(
    real: RealBroker, service: Runtime
) -> None:
    import pulsar

    from adapters.database.read_store import get_campaign
    from workers.client import wait_for_outcome

    seed = json.loads(example("crear-campana")) | {"id": "c-e2e"}
    sent: list[tuple[str, str]] = []
    async with raw_client(real.url) as client:
        rejected = await client.subscribe(
            event_topic("comando-rechazado"), f"e2e-rej-{id(service)}",
            initial_position=pulsar.InitialPosition.Earliest,
            consumer_type=pulsar.ConsumerType.Shared,
        )

        async def send(command: str, body: object, command_id: str) -> None:
            producer = await client.create_producer(command_topic(command), batching_enabled=False)
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            await producer.send(raw, properties={"command_id": command_id}, partition_key="c-e2e")
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
                body = json.loads(message.data())
                if body["command_id"].startswith(f"{id(service)}-r"):
                    reasons[body["command_id"]] = body["reason"]
        await rejected.close()

    assert [outcome for _, outcome in sent] == (
        ["applied"] * 4 + [reason for _, _, reason in REJECTIONS] + ["applied"]
    )
    assert sorted(reasons.values()) == sorted(reason for _, _, reason in REJECTIONS)
    async with asyncio.timeout(30):
        while (view := await get_campaign(service.engine, "c-e2e")) is None or view.version < 5:
            await asyncio.sleep(0.1)
    assert (view.estado, view.version) == ("finished", 5)


async def test_commands_that_overtake_their_create_on_other_topics_still_apply_in_order(
    real: RealBroker, service: Runtime
) -> None:
    from workers.client import wait_for_outcome

    campaign = f"c-order-{id(service) % 100000}"
    seed = json.loads(example("crear-campana")) | {"id": campaign}
    async with raw_client(real.url) as client:
        async def send(command: str, body: object, command_id: str) -> None:
            producer = await client.create_producer(command_topic(command), batching_enabled=False)
            await producer.send(json.dumps(body).encode(), properties={"command_id": command_id},
                                partition_key=campaign)
            await producer.close()

        # Published in the wrong order on purpose: pausar, activar, then crear.
        await send("pausar-campana", {"campana_id": campaign}, f"{campaign}-3")
        await send("activar-campana", {"campana_id": campaign}, f"{campaign}-2")
        await send("crear-campana", seed, f"{campaign}-1")
    outcomes = [await wait_for_outcome(service.engine, f"{campaign}-{n}", 40) for n in (1, 2, 3)]
    assert [o.status if o else None for o in outcomes] == ["applied"] * 3
