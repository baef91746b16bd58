"""The broker suite run against every real broker (pulsar-lite and Apache Pulsar).

A test class combines these cases with a ``real`` fixture naming the broker. Each test
uses its own topic and subscription; nothing waits on a sleep where an event will do.
"""

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream import Context
from faststream.middlewares import AckPolicy
from pydantic import BaseModel

from adapters.embedded_pulsar import free_port
from adapters.pulsar import (
    DeadLetterPolicy,
    PublishError,
    PulsarBroker,
    PulsarMessage,
    PulsarResponse,
    SubscriptionType,
)
from adapters.pulsar.errors import BrokerUnavailableError
from tests.support.brokers import RealBroker
from tests.support.raw import raw_publish, raw_read
from tests.support.waiting import eventually, take


class Order(BaseModel):
    id: int
    item: str


def make_broker(real: RealBroker, **kwargs: Any) -> PulsarBroker:
    return PulsarBroker(real.url, capabilities=real.capabilities, graceful_timeout=10, **kwargs)


@asynccontextmanager
async def running(broker: PulsarBroker) -> AsyncIterator[PulsarBroker]:
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


class RealBrokerCases:
    @pytest.fixture
    def real(self) -> RealBroker:
        raise NotImplementedError("a test class provides the broker under test")

    async def test_a_pydantic_message_arrives_with_its_key_headers_and_correlation_id(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        received: asyncio.Queue[tuple[Order, PulsarMessage]] = asyncio.Queue()

        @broker.subscriber(topic, subscription="s")
        async def handle(order: Order, message: PulsarMessage = Context()) -> None:
            await received.put((order, message))

        event_time = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        async with running(broker):
            await broker.publish(
                Order(id=7, item="hat"),
                topic,
                key="c-1",
                headers={"command_id": "cmd-7"},
                correlation_id="corr-7",
                event_time=event_time,
            )
            [(order, message)] = await take(received, 1)  # type: ignore[misc]

        assert order == Order(id=7, item="hat")
        assert message.headers["command_id"] == "cmd-7"
        assert message.correlation_id == "corr-7"
        assert message.content_type == "application/json"
        assert message.raw_message.key == "c-1"
        assert message.raw_message.message.event_timestamp() == int(event_time.timestamp() * 1000)

    async def test_a_handler_result_is_published_where_a_plain_client_reads_it(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        out = f"{topic}-out"

        @broker.subscriber(topic, subscription="s")
        @broker.publisher(out)
        async def handle(order: Order) -> Order:
            return Order(id=order.id * 10, item=order.item.upper())

        async with running(broker):
            await broker.publish(Order(id=4, item="cap"), topic)
            [message] = await raw_read(real.url, out, 1)

        assert json.loads(message.data()) == {"id": 40, "item": "CAP"}

    async def test_an_acknowledged_message_is_not_delivered_again(
        self, real: RealBroker, topic: str
    ) -> None:
        first = make_broker(real)
        seen: list[int] = []

        @first.subscriber(topic, subscription="s")
        async def handle(order: Order) -> None:
            seen.append(order.id)

        async with running(first):
            await first.publish(Order(id=1, item="a"), topic)
            await eventually(lambda: seen == [1])

        # A new consumer on the same subscription starts after the acknowledged message.
        second = make_broker(real)
        again: asyncio.Queue[int] = asyncio.Queue()

        @second.subscriber(topic, subscription="s")
        async def handle_again(order: Order) -> None:
            await again.put(order.id)

        async with running(second):
            await second.publish(Order(id=2, item="b"), topic)
            assert await take(again, 1) == [2]

    async def test_a_failing_message_is_redelivered_then_dead_lettered_with_its_reason(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        attempts: list[int] = []

        @broker.subscriber(
            topic,
            subscription="s",
            negative_ack_delay=0.1,
            dead_letter=DeadLetterPolicy(max_redeliveries=2),
        )
        async def handle(order: Order, message: PulsarMessage = Context()) -> None:
            seen.append((order.id, message.raw_message.attempt))
            if order.id == 3:
                attempts.append(message.raw_message.attempt)
                raise ValueError(f"cannot ship order {order.id}")

        seen: list[tuple[int, int]] = []
        async with running(broker):
            await broker.publish(Order(id=3, item="x"), topic, key="k-3", headers={"h": "v"})
            await broker.publish(Order(id=4, item="ok"), topic, key="k-4")
            [parked] = await raw_read(real.url, f"{topic}-s-DLQ", 1)

        assert attempts == [1, 2, 3]
        # The poison message did not hold the other one up while it was retried.
        assert seen.index((4, 1)) < seen.index((3, 3))
        props = parked.properties()
        assert props["DLQ_REASON"] == "max-redeliveries"
        assert props["DLQ_EXCEPTION_TYPE"] == "ValueError"
        assert props["DLQ_EXCEPTION_MESSAGE"] == "cannot ship order 3"
        assert props["DLQ_ATTEMPTS"] == "3"
        assert props["REAL_TOPIC"] == topic
        assert props["DLQ_SUBSCRIPTION"] == "s"
        assert props["h"] == "v"
        assert parked.partition_key() == "k-3"
        assert json.loads(parked.data()) == {"id": 3, "item": "x"}

    async def test_reject_on_error_dead_letters_at_the_first_failure(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        calls = 0

        @broker.subscriber(topic, subscription="s", ack_policy=AckPolicy.REJECT_ON_ERROR)
        async def handle(order: Order) -> None:
            nonlocal calls
            calls += 1
            raise RuntimeError("no stock")

        async with running(broker):
            await broker.publish(Order(id=5, item="y"), topic)
            [parked] = await raw_read(real.url, f"{topic}-s-DLQ", 1)

        assert calls == 1
        assert parked.properties()["DLQ_REASON"] == "rejected"
        assert parked.properties()["DLQ_EXCEPTION_TYPE"] == "RuntimeError"

    async def test_an_undecodable_message_is_dead_lettered_without_retries(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        handled: list[Order] = []

        @broker.subscriber(topic, subscription="s", negative_ack_delay=0.1)
        async def handle(order: Order) -> None:
            handled.append(order)

        async with running(broker):
            await raw_publish(real.url, topic, b"not json at all", b'{"id": "x"}')
            await broker.publish(Order(id=1, item="ok"), topic)
            parked = await raw_read(real.url, f"{topic}-s-DLQ", 2)
            await eventually(lambda: len(handled) == 1)

        assert handled == [Order(id=1, item="ok")]
        assert [m.data() for m in parked] == [b"not json at all", b'{"id": "x"}']
        assert {m.properties()["DLQ_REASON"] for m in parked} == {"undecodable"}
        assert {m.properties()["DLQ_ATTEMPTS"] for m in parked} == {"1"}
        assert parked[1].properties()["DLQ_EXCEPTION_TYPE"] == "ValidationError"

    async def test_ack_policy_ack_settles_a_failed_message_for_good(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        seen: asyncio.Queue[int] = asyncio.Queue()

        @broker.subscriber(topic, subscription="s", ack_policy=AckPolicy.ACK)
        async def handle(order: Order) -> None:
            await seen.put(order.id)
            if order.id == 1:
                raise RuntimeError("ignored")

        async with running(broker):
            await broker.publish(Order(id=1, item="a"), topic)
            await broker.publish(Order(id=2, item="b"), topic)
            assert await take(seen, 2) == [1, 2]
            await asyncio.sleep(1.5)  # long enough for a (wrong) redelivery to show up
        assert seen.empty()

    async def test_manual_settlement_nack_redelivers_and_ack_settles(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        attempts: list[int] = []

        @broker.subscriber(
            topic, subscription="s", ack_policy=AckPolicy.MANUAL, negative_ack_delay=0.1
        )
        async def handle(order: Order, message: PulsarMessage = Context()) -> None:
            attempts.append(message.raw_message.attempt)
            if len(attempts) == 1:
                await message.nack()
            else:
                await message.ack()

        async with running(broker):
            await broker.publish(Order(id=1, item="a"), topic)
            await eventually(lambda: attempts == [1, 2])

    async def test_same_key_messages_keep_their_order_under_concurrency(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        per_key: dict[str, list[int]] = defaultdict(list)
        active = 0
        peak = 0

        @broker.subscriber(topic, subscription="s", max_workers=8)
        async def handle(body: dict[str, Any]) -> None:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.002 * (body["n"] % 3))
            per_key[body["key"]].append(body["n"])
            active -= 1

        keys = [f"k{i}" for i in range(6)]
        count = 300
        async with running(broker):
            for n in range(count):
                key = keys[n % len(keys)]
                await broker.publish({"key": key, "n": n}, topic, key=key)
            await eventually(lambda: sum(map(len, per_key.values())) == count)

        for key in keys:
            assert per_key[key] == sorted(per_key[key]), f"order broken for {key}"
        assert peak > 1, "handlers never ran concurrently"
        assert peak <= 8

    async def test_get_one_timeouts_lose_no_message(self, real: RealBroker, topic: str) -> None:
        broker = make_broker(real)
        subscriber = broker.subscriber(topic, subscription="s")
        async with running(broker):
            received = []
            for n in range(10):
                assert await subscriber.get_one(timeout=0.05) is None
                await broker.publish({"n": n}, topic)
                message = await subscriber.get_one(timeout=10)
                assert message is not None
                received.append(await message.decode())
                await message.ack()
        assert received == [{"n": n} for n in range(10)]

    async def test_graceful_stop_lets_the_in_flight_handler_finish_and_ack(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        started = asyncio.Event()
        finished: list[int] = []

        @broker.subscriber(topic, subscription="s")
        async def handle(order: Order) -> None:
            started.set()
            await asyncio.sleep(0.5)
            finished.append(order.id)

        await broker.start()
        await broker.publish(Order(id=1, item="slow"), topic)
        await asyncio.wait_for(started.wait(), 10)
        await broker.stop()
        assert finished == [1]

        again = make_broker(real)
        seen: asyncio.Queue[int] = asyncio.Queue()

        @again.subscriber(topic, subscription="s")
        async def handle_again(order: Order) -> None:
            await seen.put(order.id)

        async with running(again):
            await again.publish(Order(id=2, item="next"), topic)
            assert await take(seen, 1) == [2]

    async def test_messages_not_yet_handled_at_stop_go_to_the_next_consumer(
        self, real: RealBroker, topic: str
    ) -> None:
        first = make_broker(real)
        handled: list[int] = []

        @first.subscriber(topic, subscription="s", receiver_queue_size=50)
        async def handle(body: dict[str, int]) -> None:
            await asyncio.sleep(0.02)
            handled.append(body["n"])

        count = 40
        async with running(first):
            await first.publish_batch(*({"n": n} for n in range(count)), topic=topic)
            await eventually(lambda: len(handled) >= 5)
        first_part = list(handled)

        second = make_broker(real)
        rest: list[int] = []

        @second.subscriber(topic, subscription="s")
        async def handle_rest(body: dict[str, int]) -> None:
            rest.append(body["n"])

        async with running(second):
            await eventually(lambda: len(first_part) + len(rest) >= count)
        assert sorted(first_part + rest) == list(range(count)), "lost or duplicated"

    async def test_thousands_of_concurrent_publishes_all_arrive(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real, max_in_flight_sends=200)
        count = 3000
        seen: set[int] = set()

        @broker.subscriber(topic, subscription="s", receiver_queue_size=1000)
        async def handle(body: dict[str, int]) -> None:
            seen.add(body["n"])

        async with running(broker):
            # More sends at once than the client's pending queue holds (1000).
            await asyncio.gather(*(broker.publish({"n": n}, topic) for n in range(count)))
            await eventually(lambda: len(seen) == count, timeout=60)

    async def test_publish_batch_keeps_the_order_with_many_sends_in_flight(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        async with running(broker):
            ids = await broker.publish_batch(*(f"m{n}" for n in range(500)), topic=topic)
        assert len(ids) == 500
        messages = await raw_read(real.url, topic, 500)
        assert [m.data().decode() for m in messages] == [f"m{n}" for n in range(500)]

    async def test_ping_answers_with_a_real_round_trip(self, real: RealBroker) -> None:
        broker = make_broker(real)
        assert await broker.ping(1) is False  # not connected yet
        async with running(broker):
            assert await broker.ping(5) is True

    async def test_connecting_to_no_broker_fails_with_a_clear_error(self) -> None:
        url = f"pulsar://127.0.0.1:{free_port()}"
        broker = PulsarBroker(url, connect_timeout=1)
        started = time.monotonic()
        with pytest.raises(BrokerUnavailableError, match=url):
            await broker.connect()
        assert time.monotonic() - started < 15

    @pytest.mark.slow
    async def test_a_running_worker_survives_a_broker_restart(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real, send_timeout=60)
        seen: asyncio.Queue[int] = asyncio.Queue()

        @broker.subscriber(topic, subscription="s")
        async def handle(order: Order) -> None:
            await seen.put(order.id)

        async with running(broker):
            await broker.publish(Order(id=1, item="before"), topic)
            assert await take(seen, 1) == [1]
            await asyncio.to_thread(real.kill)
            await asyncio.to_thread(real.start)
            # The same broker object reconnects its producer and its consumer.
            await broker.publish(Order(id=2, item="after"), topic)
            after = []
            async with asyncio.timeout(90):
                while 2 not in after:
                    after.append(await seen.get())
        # Delivery is at least once: an ack still in the client's ack-grouping window
        # when the broker died is lost, and that message comes again.
        assert set(after) <= {1, 2}

    @pytest.mark.slow
    async def test_a_send_to_a_dead_broker_raises_instead_of_vanishing(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real, send_timeout=2)
        async with running(broker):
            await broker.publish("warm-up", topic)
            await asyncio.to_thread(real.kill)
            try:
                with pytest.raises(PublishError, match=topic):
                    await broker.publish("lost?", topic)
            finally:
                await asyncio.to_thread(real.start)


class KeySharedCases:
    """Cases for brokers with Key_Shared subscriptions (Apache Pulsar)."""

    async def test_key_shared_consumers_each_keep_their_keys_in_order(
        self, real: RealBroker, topic: str
    ) -> None:
        per_key: dict[str, list[int]] = defaultdict(list)
        brokers = [make_broker(real) for _ in range(2)]
        for broker in brokers:

            @broker.subscriber(
                topic, subscription="s", subscription_type=SubscriptionType.KEY_SHARED
            )
            async def handle(body: dict[str, Any]) -> None:
                per_key[body["key"]].append(body["n"])

        for broker in brokers:
            await broker.start()
        try:
            count = 400
            await brokers[0].publish_batch(
                *(
                    PulsarResponse({"key": f"k{n % 8}", "n": n}, key=f"k{n % 8}")
                    for n in range(count)
                ),
                topic=topic,
            )
            await eventually(lambda: sum(map(len, per_key.values())) == count)
        finally:
            for broker in brokers:
                await broker.stop()
        for key, numbers in per_key.items():
            assert numbers == sorted(numbers), f"order broken for {key}"
