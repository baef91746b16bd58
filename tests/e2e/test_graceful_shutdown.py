"""SIGTERM on a real worker process: in-flight commands finish and are acknowledged, the
process exits in bounded time, and the next worker re-applies nothing."""

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.database.engine import create_engine
from adapters.database.migrate import upgrade
from adapters.database.schema import command_log, outbox
from contracts.examples import example
from contracts.topics import COMMANDS_V2, EVENTS_V2, command_topic
from tests.support.brokers import RealBroker
from tests.support.raw import raw_client
from tests.support.servers.workers import Worker, worker_env

pytestmark = [pytest.mark.pulsar_lite, pytest.mark.timeout(240)]

COUNT = 300


def start_worker(real: RealBroker, database_url: str, log: Path) -> Worker:
    env = worker_env(real.url, "lite", database_url, "INFO", ALPES_COMMAND_CONCURRENCY="4")
    return Worker("commands", env, log, log.parent).start()


async def applied(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as c:
            query = select(func.count()).select_from(command_log)
            return int((await c.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def wait_until(predicate_count: int, database_url: str, timeout: float = 90) -> None:
    async with asyncio.timeout(timeout):
        while await applied(database_url) < predicate_count:
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("contract", [2, 1])
async def test_sigterm_finishes_in_flight_work_and_nothing_is_applied_twice(
    pulsar_lite: RealBroker, tmp_path: Path, contract: int
) -> None:
    import json

    database_url = f"sqlite:///{tmp_path / 'alpes.db'}"
    await upgrade(database_url)
    seed = json.loads(example("crear-campana", contract))
    id_field = "campana_id" if contract == 2 else "id"
    topic = COMMANDS_V2 if contract == 2 else command_topic("crear-campana")
    async with raw_client(pulsar_lite.url) as client:
        producer = await client.create_producer(topic, batching_enabled=False)
        for n in range(COUNT):
            campaign = f"c-g{contract}-{tmp_path.name[-6:]}-{n}"
            properties = {"command_id": f"g-{n}"}
            if contract == 2:
                properties["command_type"] = "crear-campana"
            await producer.send(
                json.dumps(seed | {id_field: campaign}).encode(),
                properties=properties,
                partition_key=campaign,
            )
        await producer.close()

    first = start_worker(pulsar_lite, database_url, tmp_path / "first.log")
    await wait_until(50, database_url)
    stopping = time.monotonic()
    code = await asyncio.to_thread(first.terminate, 30)
    took = time.monotonic() - stopping
    assert code == 0, (tmp_path / "first.log").read_text()
    assert took < 20, f"SIGTERM took {took:.1f}s"
    done_by_first = await applied(database_url)
    assert done_by_first < COUNT, "the first worker finished everything: nothing was cut short"

    second = start_worker(pulsar_lite, database_url, tmp_path / "second.log")
    try:
        await wait_until(COUNT, database_url)
    finally:
        await asyncio.to_thread(second.terminate, 30)

    engine = create_engine(database_url)
    async with engine.connect() as c:
        query = select(func.count()).select_from(outbox).where(outbox.c.topic == EVENTS_V2)
        events = (await c.execute(query)).scalar_one()
    await engine.dispose()
    assert events == COUNT, "a command was applied twice or not at all"
    second_log = (tmp_path / "second.log").read_text()
    assert ": duplicate" not in second_log, "a command applied before SIGTERM came back"
