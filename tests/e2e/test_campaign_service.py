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
    settings = Settings(database_url=database_url, command_concurrency=4)
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
