"""The v2 guarantee, as a producing and a consuming service see it with nothing but
pulsar-client: many campaigns' commands, every type interleaved, sent as fast as the
client sends, are each applied once and in the order sent, and each campaign's events
come out on the v2 stream in aggregate_version order. With real worker processes: one
command worker on pulsar-lite; two competing ones on Apache Pulsar, on partitioned v2
topics."""

import asyncio
import contextlib
import os
import urllib.error
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.database.engine import create_engine
from adapters.database.migrate import upgrade
from adapters.database.schema import command_log
from contracts.topics import COMMANDS_V2, EVENTS_V2
from tests.support.brokers import RealBroker
from tests.support.ordered_stream import EventStream, Sent, interleaved, send_all, story
from tests.support.servers.postgres import create_database, drop_database
from tests.support.servers.workers import Worker, worker_env

pytestmark = pytest.mark.timeout(300)

CAMPAIGNS = int(os.environ.get("ALPES_ORDERED_CAMPAIGNS", "60"))
PARTITIONS = 3


def workers(url: str, flavor: str, database_url: str, folder: Path, commands: int) -> list[Worker]:
    env = worker_env(url, flavor, database_url, "INFO")
    roles = [("relay", "relay")] + [(f"commands-{n}", "commands") for n in range(commands)]
    return [Worker(role, env, folder / f"{name}.log", folder) for name, role in roles]


async def outcomes(database_url: str, sent: list[Sent]) -> dict[str, list[str]]:
    """Every command log row of these commands: command id -> its statuses."""
    engine = create_engine(database_url)
    ids = [s.command_id for s in sent]
    try:
        async with engine.connect() as c:
            rows = (
                await c.execute(
                    select(command_log.c.command_id, command_log.c.status).where(
                        command_log.c.command_id.in_(ids)
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    found: dict[str, list[str]] = {}
    for command_id, status in rows:
        found.setdefault(command_id, []).append(status)
    return found


async def run_stream(real: RealBroker, database_url: str, folder: Path, commands: int) -> None:
    run = uuid.uuid4().hex[:8]
    stories = [story(run, n) for n in range(CAMPAIGNS)]
    campaigns = [s[0].campana_id for s in stories]
    sent = interleaved(stories)
    downstream = EventStream(real.url, f"ordered-{run}")
    await downstream.start()
    fleet = workers(
        real.url, "lite" if real.name == "pulsar-lite" else "apache", database_url, folder, commands
    )
    for worker in fleet:
        worker.start()
    try:
        sending = await send_all(real.url, sent)
        drained = await downstream.wait_for(len(sent), campaigns, timeout=180)
        print(
            f"\nORDERED {real.name}: {len(sent)} commands, {CAMPAIGNS} campaigns, "
            f"{commands} command worker(s): sent in {sending:.1f}s, all events out "
            f"{drained:.1f}s after the last send; repeats={downstream.repeats}"
        )
    finally:
        for worker in fleet:
            worker.terminate()
        await downstream.close()
    logs = "\n".join(w.log.read_text(errors="replace")[-3000:] for w in fleet)
    assert downstream.out_of_order(campaigns) == {}, logs
    assert not {s.command_id for s in sent} & downstream.rejections.keys()
    found = await outcomes(database_url, sent)
    assert found == {s.command_id: ["applied"] for s in sent}


@pytest.mark.pulsar_lite
async def test_an_in_order_stream_is_applied_in_order_on_pulsar_lite(
    pulsar_lite: RealBroker, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'alpes.db'}"
    await upgrade(database_url)
    await run_stream(pulsar_lite, database_url, tmp_path, commands=1)


@pytest.fixture
def partitioned_v2(apache_pulsar: RealBroker) -> Iterator[None]:
    """The v2 topics as partitioned topics, as the deployment guide creates them; back to
    plain topics afterwards for the rest of the session."""

    def delete(topic: str) -> None:
        local = topic.removeprefix("persistent://")
        for path in (f"{local}/partitions", local):
            with contextlib.suppress(urllib.error.HTTPError):  # 404: not that kind
                apache_pulsar.admin("DELETE", f"/admin/v2/persistent/{path}?force=true")

    for topic in (COMMANDS_V2, EVENTS_V2):
        delete(topic)
        local = topic.removeprefix("persistent://")
        apache_pulsar.admin("PUT", f"/admin/v2/persistent/{local}/partitions", PARTITIONS)
    try:
        yield
    finally:
        for topic in (COMMANDS_V2, EVENTS_V2):
            delete(topic)


@pytest.mark.apache_pulsar
async def test_an_in_order_stream_is_applied_in_order_by_two_workers_on_partitioned_topics(
    apache_pulsar: RealBroker, partitioned_v2: None, postgres_server: str, tmp_path: Path
) -> None:
    local = COMMANDS_V2.removeprefix("persistent://")
    metadata = apache_pulsar.admin("GET", f"/admin/v2/persistent/{local}/partitions")
    assert f'"partitions":{PARTITIONS}' in metadata.replace(" ", "")
    database_url = await create_database(postgres_server)
    try:
        await upgrade(database_url)
        await run_stream(apache_pulsar, database_url, tmp_path, commands=2)
    finally:
        await asyncio.sleep(0)
        await drop_database(postgres_server, database_url)
