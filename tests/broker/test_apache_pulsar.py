import asyncio
import time
from datetime import timedelta

import pytest

from tests.support.brokers import RealBroker
from tests.support.raw import raw_read
from tests.support.waiting import take

from .cases import KeySharedCases, RealBrokerCases, make_broker, running

pytestmark = [pytest.mark.apache_pulsar, pytest.mark.timeout(300)]


class TestApachePulsar(RealBrokerCases, KeySharedCases):
    @pytest.fixture
    def real(self, apache_pulsar: RealBroker) -> RealBroker:
        return apache_pulsar


async def test_delayed_delivery_arrives_after_the_delay(
    apache_pulsar: RealBroker, topic: str
) -> None:
    broker = make_broker(apache_pulsar)
    arrived: asyncio.Queue[float] = asyncio.Queue()

    @broker.subscriber(topic, subscription="s")
    async def handle(body: str) -> None:
        await arrived.put(time.monotonic())

    async with running(broker):
        sent = time.monotonic()
        await broker.publish("later", topic, deliver_after=timedelta(seconds=2))
        [at] = await take(arrived, 1)
    assert at - sent >= 1.9  # type: ignore[operator]


async def test_broker_deduplication_drops_a_resent_sequence_id(
    apache_pulsar: RealBroker, topic: str
) -> None:
    name = topic.rsplit("/", 1)[-1]
    apache_pulsar.admin("PUT", f"/admin/v2/persistent/public/default/{name}")
    apache_pulsar.admin(
        "POST", f"/admin/v2/persistent/public/default/{name}/deduplicationEnabled", True
    )
    await asyncio.sleep(1)  # the policy reaches the topic asynchronously
    broker = make_broker(apache_pulsar)
    async with running(broker):
        for sequence_id in (1, 2, 2, 1, 3):
            await broker.publish(
                f"seq-{sequence_id}", topic, producer_name=f"relay-{name}", sequence_id=sequence_id
            )
    messages = await raw_read(apache_pulsar.url, topic, 3)
    assert [m.data().decode() for m in messages] == ["seq-1", "seq-2", "seq-3"]
