import asyncio
import time
from datetime import timedelta

import pytest
from faststream.exceptions import RejectMessage

from adapters.pulsar import DeadLetterPolicy
from adapters.pulsar.decoders import raw_body
from tests.support.brokers import RealBroker
from tests.support.raw import raw_publish, raw_read
from tests.support.waiting import take

from .cases import KeySharedCases, RealBrokerCases, make_broker, running
from .reader_cases import ReaderCases

pytestmark = [pytest.mark.apache_pulsar, pytest.mark.timeout(300)]


class TestApachePulsar(RealBrokerCases, ReaderCases, KeySharedCases):
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


async def test_send_many_batches_by_key_so_key_shared_consumers_get_whole_keys(
    apache_pulsar: RealBroker, topic: str
) -> None:
    """The relay sends with batching on: each batch must hold one key, or a Key_Shared
    subscription hands another key's messages to the consumer of the batch's first key."""
    import pulsar

    from adapters.pulsar import OutgoingMessage
    from tests.support.raw import raw_client

    async with raw_client(apache_pulsar.url) as client:
        consumers = [
            await client.subscribe(
                topic,
                "whole-keys",
                consumer_type=pulsar.ConsumerType.KeyShared,
                initial_position=pulsar.InitialPosition.Earliest,
            )
            for _ in range(2)
        ]
        broker = make_broker(apache_pulsar, batching=True, batch_by_key=(topic,))
        messages = [
            OutgoingMessage(topic, f"m{n}".encode(), {}, key=f"k{n % 40}") for n in range(800)
        ]
        async with running(broker):
            assert not [r for r in await broker.send_many(messages) if isinstance(r, BaseException)]
        owners: dict[str, set[int]] = {}
        received: list[str] = []
        counted = asyncio.Event()

        async def drain(index: int, consumer: pulsar.asyncio.Consumer) -> None:
            while True:  # until its consumer is closed
                message = await consumer.receive()
                await consumer.acknowledge(message)
                owners.setdefault(message.partition_key(), set()).add(index)
                received.append(message.partition_key())
                if len(received) == len(messages):
                    counted.set()

        tasks = [asyncio.create_task(drain(i, c)) for i, c in enumerate(consumers)]
        await asyncio.wait_for(counted.wait(), 60)
        for consumer in consumers:
            await consumer.close()  # ends the pending receives
        await asyncio.gather(*tasks, return_exceptions=True)
    assert len(owners) == 40
    assert all(len(consumers_of) == 1 for consumers_of in owners.values()), owners


async def test_a_reader_reads_and_follows_every_partition_of_a_partitioned_topic(
    apache_pulsar: RealBroker, topic: str
) -> None:
    from adapters.pulsar import PulsarReader

    from .reader_cases import follow_n

    name = topic.rsplit("/", 1)[-1]
    apache_pulsar.admin("PUT", f"/admin/v2/persistent/public/default/{name}/partitions", 3)
    keys = [f"c-{n}" for n in range(12)]
    broker = make_broker(apache_pulsar)

    async def publish(first: int, count: int) -> None:
        for n in range(first, first + count):
            await broker.publish(f"{n}".encode(), topic, key=keys[n % len(keys)])

    async with running(broker), PulsarReader(apache_pulsar.url, topic) as reader:
        await publish(0, 60)
        backlog = await reader.read_all()
        await publish(60, 30)
        live = await follow_n(reader, 30)
        partitions = reader.partitions

    assert partitions == [f"{topic}-partition-{i}" for i in range(3)]
    for got, numbers in ((backlog, range(60)), (live, range(60, 90))):
        assert sorted(int(m.payload) for m in got) == list(numbers)
        assert {m.topic for m in got} == {topic}
        for key in keys:  # a key maps to one partition, read in order
            mine = [int(m.payload) for m in got if m.key == key]
            assert mine == sorted(mine), f"{key} out of order"
    assert len({m.partition for m in backlog}) == 3, "not every partition was read"


async def test_a_reader_on_a_topic_in_no_namespace_says_the_topic_is_missing(
    apache_pulsar: RealBroker,
) -> None:
    from adapters.pulsar import PulsarReader, TopicNotFoundError

    topic = "persistent://public/no-such-namespace/events"
    with pytest.raises(TopicNotFoundError, match="check the name, or create it first") as missing:
        async with PulsarReader(apache_pulsar.url, topic, connect_timeout=5):
            pass
    assert topic in str(missing.value)


async def test_every_partition_of_a_partitioned_topic_parks_in_the_topics_one_dlq(
    apache_pulsar: RealBroker, topic: str
) -> None:
    """A partition's messages carry the partition's name; their DLQ is still the topic's
    own ``<topic>-<subscription>-DLQ``, the one `alpes dlq` reads."""
    name = topic.rsplit("/", 1)[-1]
    apache_pulsar.admin("PUT", f"/admin/v2/persistent/public/default/{name}/partitions", 2)
    broker = make_broker(apache_pulsar)
    policy = DeadLetterPolicy(max_redeliveries=0)

    @broker.subscriber(topic, subscription="s", dead_letter=policy, decoder=raw_body)
    async def handle(body: bytes) -> None:
        raise RejectMessage(reason="refused")

    async with running(broker):
        for partition in (0, 1):
            await raw_publish(
                apache_pulsar.url, f"{topic}-partition-{partition}", b"%d" % partition
            )
        parked = await raw_read(apache_pulsar.url, f"{topic}-s-DLQ", 2)

    assert sorted(m.data() for m in parked) == [b"0", b"1"]
    assert {m.properties()["DLQ_REASON"] for m in parked} == {"refused"}
