"""The dead-letter parts of `alpes trace` and `alpes status` on Apache Pulsar: a message
parked in the v2 command stream's DLQ with a correlation id is found by `alpes trace`
and counted by `alpes status`, through the admin subscription, and nothing is removed."""

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from contracts.topics import COMMANDS_V2
from tests.support.brokers import RealBroker
from tests.support.cli import alpes
from tests.support.raw import raw_client
from workers.commands import SUBSCRIPTION

DLQ_TOPIC = f"{COMMANDS_V2}-{SUBSCRIPTION}-DLQ"
DLQ = DLQ_TOPIC.rsplit("/", 1)[-1]

pytestmark = [pytest.mark.apache_pulsar, pytest.mark.timeout(300)]


async def park(url: str, correlation_id: str) -> None:
    async with raw_client(url) as client:
        producer = await client.create_producer(DLQ_TOPIC, batching_enabled=False)
        properties = {
            "command_type": "crear-campana",
            "correlation_id": correlation_id,
            "REAL_TOPIC": COMMANDS_V2,
            "DLQ_SUBSCRIPTION": SUBSCRIPTION,
            "DLQ_REASON": "malformed_message",
        }
        await producer.send(b"not json {", properties=properties, partition_key="c-apache")
        await producer.close()


def test_trace_and_status_read_the_dead_letters_on_apache_pulsar(
    apache_pulsar: RealBroker, tmp_path: Path
) -> None:
    env = {"ALPES_PULSAR_URL": apache_pulsar.url, "ALPES_PULSAR_FLAVOR": "apache"}
    upgraded = alpes(tmp_path, "db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    # The admin subscription must exist before anything is parked (docs: dead letters).
    listed = alpes(tmp_path, "dlq", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    correlation_id = f"apache-{uuid.uuid4().hex[:8]}"
    asyncio.run(park(apache_pulsar.url, correlation_id))

    traced = alpes(tmp_path, "trace", correlation_id, "--json", env=env)

    assert traced.returncode == 0, traced.stderr
    trace = json.loads(traced.stdout)
    assert trace["commands"] == []
    [letter] = trace["dead_letters"]["messages"]
    assert (letter["dlq"], letter["correlation_id"], letter["key"]) == (
        DLQ,
        correlation_id,
        "c-apache",
    )
    human = alpes(tmp_path, "trace", correlation_id, env=env)
    assert human.returncode == 0, human.stderr
    assert "DLQ topic" in human.stdout
    assert letter["message_id"] in human.stdout

    status = alpes(tmp_path, "status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["dead_letters"]["depth"][DLQ] >= 1

    # Reading removed nothing; the operator's purge does.
    purged = alpes(
        tmp_path,
        "dlq",
        "purge",
        "--id",
        letter["message_id"],
        "--subscription",
        SUBSCRIPTION,
        env=env,
    )
    assert purged.returncode == 0, purged.stderr
    gone = alpes(tmp_path, "trace", correlation_id, env=env)
    assert gone.returncode == 3, gone.stdout + gone.stderr
