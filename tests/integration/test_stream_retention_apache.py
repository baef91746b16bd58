"""The retention call docs/operations.md gives for the v2 event stream, run as written on
Apache Pulsar: the broker accepts it, reports the policy back, and keeps what every
subscription acknowledged (what `alpes projections rebuild` replays)."""

import asyncio
import json
import re
import urllib.error
import uuid
from pathlib import Path

import pulsar
import pytest

from tests.support.brokers import RealBroker
from tests.support.raw import raw_client, raw_publish

pytestmark = [pytest.mark.apache_pulsar, pytest.mark.timeout(120)]

DOC = Path(__file__).parents[2] / "docs" / "operations.md"


def documented_call() -> tuple[str, dict[str, int]]:
    """The body and the path (after the topic) of the documented curl command."""
    text = DOC.read_text()
    body = re.search(r"-d '(\{[^']*\})'", text)
    path = re.search(r"alpes\.campanas\.eventos\.v2(/\w+)\"", text)
    assert body and path, "docs/operations.md no longer shows the retention call"
    return path[1], json.loads(body[1])


async def read_all(url: str, topic: str, count: int) -> list[bytes]:
    async with raw_client(url) as client:
        consumer = await client.subscribe(
            topic,
            f"late-{uuid.uuid4().hex[:6]}",
            consumer_type=pulsar.ConsumerType.Exclusive,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        got = []
        for _ in range(count):
            message = await asyncio.wait_for(consumer.receive(), 20)
            got.append(message.data())
            await consumer.acknowledge(message)
        await consumer.close()
        return got


async def acknowledge_everything(url: str, topic: str, subscription: str, count: int) -> None:
    async with raw_client(url) as client:
        consumer = await client.subscribe(
            topic,
            subscription,
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        for _ in range(count):
            await consumer.acknowledge(await asyncio.wait_for(consumer.receive(), 20))
        await consumer.unsubscribe()


def test_the_documented_retention_call_is_accepted_and_keeps_acknowledged_history(
    apache_pulsar: RealBroker,
) -> None:
    suffix, body = documented_call()
    topic_path = f"/admin/v2/persistent/public/default/alpes.retention-{uuid.uuid4().hex[:8]}"
    topic = "persistent://public/default/" + topic_path.rsplit("/", 1)[-1]
    apache_pulsar.admin("PUT", topic_path)  # the stream exists before its policy is set

    apache_pulsar.admin("POST", topic_path + suffix, body)

    # Topic policies reach the broker through a system topic: give them a moment.
    for _ in range(50):
        try:
            if json.loads(apache_pulsar.admin("GET", topic_path + suffix)) == body:
                break
        except urllib.error.HTTPError:
            pass
        asyncio.run(asyncio.sleep(0.2))
    assert json.loads(apache_pulsar.admin("GET", topic_path + suffix)) == body
    payloads = [f"event-{n}".encode() for n in range(3)]
    asyncio.run(raw_publish(apache_pulsar.url, topic, *payloads))
    asyncio.run(acknowledge_everything(apache_pulsar.url, topic, "projector", len(payloads)))

    assert asyncio.run(read_all(apache_pulsar.url, topic, len(payloads))) == payloads
