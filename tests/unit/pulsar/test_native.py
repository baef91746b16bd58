"""adapters/pulsar/native.py reaches past ``pulsar.asyncio`` into pulsar-client's
undocumented internals. These tests fail when a pulsar-client release moves them, and
check on a real pulsar-lite that the shortcuts behave as the consume loop expects."""

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import _pulsar
import pulsar
import pulsar.asyncio
import pytest

from adapters.pulsar import native
from adapters.pulsar.delivery import RawMessage
from tests.support.brokers import RealBroker
from tests.support.raw import raw_client, raw_publish

# receive(0) returns or fails at once (about 90 µs); this is only a bound for a loaded CI.
AT_ONCE = 0.5

# What the adapter reads of a received message (a batch mixes pulsar.Message from the
# awaited receive with the client's own messages from take_ready).
READ = [name for name in vars(RawMessage) if not name.startswith("_")]


@dataclass
class FakeClientConsumer:
    """Stands in for ``_pulsar.Consumer``: records what the adapter hands it."""

    acked: list[Any] = field(default_factory=list)

    def acknowledge(self, message: Any) -> None:
        self.acked.append(message)


# --- the internals native.py relies on ---------------------------------------------


def test_the_asyncio_consumer_keeps_the_client_consumer_in__consumer() -> None:
    inner = FakeClientConsumer()
    consumer = pulsar.asyncio.Consumer(inner, pulsar.schema.BytesSchema())
    assert consumer._consumer is inner


def test_the_client_consumer_receives_with_a_timeout_and_acknowledges_a_message() -> None:
    # pybind11 lists each overload's signature in the docstring.
    receive = _pulsar.Consumer.receive.__doc__ or ""
    acknowledge = _pulsar.Consumer.acknowledge.__doc__ or ""
    with_timeout = r"receive\(self: _pulsar\.Consumer, \w+: [\w.]*(int|Int)\)"
    a_message = r"acknowledge\(self: _pulsar\.Consumer, \w+: _pulsar\.Message\)"
    assert re.search(with_timeout, receive), f"no receive(timeout_ms):\n{receive}"
    assert re.search(a_message, acknowledge), f"no acknowledge(message):\n{acknowledge}"


def test_the_asyncio_producer_keeps_the_client_producer_in__producer() -> None:
    inner = object()
    producer = pulsar.asyncio.Producer(inner, pulsar.schema.BytesSchema())
    assert producer._producer is inner
    send_async = _pulsar.Producer.send_async.__doc__ or ""
    assert re.search(r"send_async\(self: _pulsar\.Producer, \w+: _pulsar\.Message, ", send_async), (
        f"no send_async(message, callback):\n{send_async}"
    )
    for method in ("content", "properties", "partition_key", "build"):
        assert callable(getattr(_pulsar.MessageBuilder, method, None)), method


def test_an_empty_receive_raises_timeout_which_is_a_pulsar_exception() -> None:
    # take_ready stops at pulsar.Timeout; the consume loop catches pulsar.PulsarException.
    assert issubclass(pulsar.Timeout, pulsar.PulsarException)
    assert pulsar.Timeout is _pulsar.Timeout


def test_acknowledge_hands_the_client_message_to_the_client_consumer() -> None:
    inner = FakeClientConsumer()
    consumer = pulsar.asyncio.Consumer(inner, pulsar.schema.BytesSchema())
    raw = object()
    wrapped = pulsar.Message()  # as pulsar.asyncio.Consumer.receive builds it
    wrapped._message = raw
    native.acknowledge(consumer, wrapped)
    native.acknowledge(consumer, raw)  # a client message as take_ready returns it
    assert inner.acked == [raw, raw]


# --- on a real broker ----------------------------------------------------------------


@pytest.fixture
async def consumer(pulsar_lite: RealBroker, topic: str) -> AsyncIterator[pulsar.asyncio.Consumer]:
    async with raw_client(pulsar_lite.url) as client:
        consumer = await client.subscribe(
            topic,
            "s",
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        try:
            yield consumer
        finally:
            await consumer.close()


async def take_ready_timed(
    consumer: pulsar.asyncio.Consumer, limit: int
) -> tuple[list[pulsar.Message], float]:
    """take_ready and how long it took; in a thread, so that a take_ready that blocks
    fails this test instead of hanging it."""
    started = time.monotonic()
    taken = await asyncio.wait_for(asyncio.to_thread(native.take_ready, consumer, limit), 5)
    return taken, time.monotonic() - started


@pytest.mark.pulsar_lite
async def test_the_real_consumer_and_message_keep_the_client_objects_native_py_uses(
    pulsar_lite: RealBroker, topic: str, consumer: pulsar.asyncio.Consumer
) -> None:
    assert isinstance(consumer._consumer, _pulsar.Consumer)
    await raw_publish(pulsar_lite.url, topic, b"m")
    message = await consumer.receive()
    assert isinstance(message, pulsar.Message)
    assert isinstance(message._message, _pulsar.Message)


@pytest.mark.pulsar_lite
async def test_take_ready_returns_nothing_at_once_on_an_empty_subscription(
    consumer: pulsar.asyncio.Consumer,
) -> None:
    taken, took = await take_ready_timed(consumer, 10)
    assert taken == []
    assert took < AT_ONCE


@pytest.mark.pulsar_lite
async def test_take_ready_returns_the_prefetched_messages_in_order_without_waiting(
    pulsar_lite: RealBroker, topic: str, consumer: pulsar.asyncio.Consumer
) -> None:
    payloads = [f"m{n}".encode() for n in range(13)]
    await raw_publish(pulsar_lite.url, topic, *payloads)
    first = await consumer.receive()
    assert first.data() == b"m0"

    taken: list[pulsar.Message] = []
    calls: list[tuple[int, float]] = []

    async def take_some() -> bool:
        more, took = await take_ready_timed(consumer, 4)
        taken.extend(more)
        calls.append((len(more), took))
        return len(taken) >= 12

    # The client prefetches on its own thread: take what is ready until all of it is.
    async with asyncio.timeout(20):
        while not await take_some():
            await asyncio.sleep(0.01)

    assert [m.data() for m in taken] == payloads[1:]
    for name in READ:  # each as the adapter reads it from the awaited receive's message
        assert type(getattr(taken[0], name)()) is type(getattr(first, name)()), name
    assert max(count for count, _ in calls) == 4, f"never took several at once: {calls}"
    assert all(took < AT_ONCE for _, took in calls), calls
    # Drained: the next take returns at once, empty.
    rest, took = await take_ready_timed(consumer, 4)
    assert rest == []
    assert took < AT_ONCE


@pytest.mark.pulsar_lite
async def test_acknowledge_settles_the_messages_for_the_subscription(
    pulsar_lite: RealBroker, topic: str
) -> None:
    await raw_publish(pulsar_lite.url, topic, b"a", b"b", b"c")
    async with raw_client(pulsar_lite.url) as client:
        first = await client.subscribe(
            topic,
            "s",
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        received = [await first.receive()]
        async with asyncio.timeout(20):
            while len(received) < 3:
                received += native.take_ready(first, 3 - len(received))
                await asyncio.sleep(0.01)
        for message in received:  # a pulsar.Message, then the client's own messages
            native.acknowledge(first, message)
        await first.close()  # flushes the client's grouped acknowledgements

        again = await client.subscribe(topic, "s", consumer_type=pulsar.ConsumerType.Shared)
        await raw_publish(pulsar_lite.url, topic, b"after")
        try:
            assert (await asyncio.wait_for(again.receive(), 20)).data() == b"after"
        finally:
            await again.close()
