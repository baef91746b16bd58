"""The broker suite run against every real broker (pulsar-lite and Apache Pulsar).

A test class combines these cases with a ``real`` fixture naming the broker. Each test
uses its own topic and subscription; nothing waits on a sleep where an event will do.
``SharedCases`` also run in memory (TestPulsarBroker, tests/broker/test_memory.py): they
make and run their broker through a ``Harness``.
"""

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pulsar
import pytest
from faststream import Context
from faststream.exceptions import FeatureNotSupportedException, NackMessage, RejectMessage
from faststream.middlewares import AckPolicy
from pydantic import BaseModel

from adapters.embedded_pulsar import free_port
from adapters.pulsar import (
    DeadLetterPolicy,
    OutgoingMessage,
    PublishError,
    PulsarBroker,
    PulsarMessage,
    PulsarResponse,
    SubscriptionType,
    native,
)
from adapters.pulsar.decoders import raw_body
from adapters.pulsar.errors import BrokerUnavailableError
from adapters.pulsar.message import current_batch, current_message
from tests.support.brokers import RealBroker
from tests.support.raw import raw_client, raw_publish, raw_read
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


async def publish_backlog(real: RealBroker, topic: str, *bodies: Any) -> None:
    """Publish ``bodies`` in order before any consumer runs: a backlog waiting for one."""
    broker = make_broker(real)
    async with running(broker):
        await broker.publish_batch(*bodies, topic=topic)


def first_batch_of(monkeypatch: pytest.MonkeyPatch, size: int) -> list[int]:
    """Make a batch subscriber's first batch exactly ``size`` messages of its backlog.

    Left alone, a batch is whatever the client happens to have prefetched when the first
    receive returns, which varies from run to run. Here the first take waits (up to 10 s)
    until ``size - 1`` more are ready; every later one takes what is ready, as usual.
    Returns how many each take took (empty if the subscriber never called take_ready)."""
    take_ready = native.take_ready
    takes: list[int] = []

    def take(consumer: Any, limit: int) -> list[Any]:
        if takes:
            taken = take_ready(consumer, limit)
        else:
            wanted = min(limit, size - 1)
            taken = take_ready(consumer, wanted)
            deadline = time.monotonic() + 10
            while len(taken) < wanted and time.monotonic() < deadline:
                time.sleep(0.001)  # the client's own thread fills its queue meanwhile
                taken += take_ready(consumer, wanted - len(taken))
        takes.append(len(taken))
        return taken

    monkeypatch.setattr(native, "take_ready", take)
    return takes


_MARKER = b"-- marker --"


async def leftovers(real: RealBroker, topic: str, subscription: str = "s") -> list[bytes]:
    """What a new consumer of ``subscription`` receives before a marker published now:
    whatever the earlier consumers left unacknowledged (redelivered ahead of new ones)."""
    broker = make_broker(real)
    received: asyncio.Queue[bytes] = asyncio.Queue()

    @broker.subscriber(topic, subscription=subscription, decoder=raw_body)
    async def handle(body: bytes) -> None:
        await received.put(body)

    left: list[bytes] = []
    async with running(broker):
        await broker.publish(_MARKER, topic)
        async with asyncio.timeout(20):
            while (body := await received.get()) != _MARKER:
                left.append(body)
    return left


@dataclass(frozen=True)
class Harness:
    """How a shared case makes its broker and runs it: in memory or on a real broker."""

    make: Callable[..., PulsarBroker]
    run: Callable[[PulsarBroker], AbstractAsyncContextManager[PulsarBroker]]


def dead_letters(broker: PulsarBroker, topic: str) -> "asyncio.Queue[tuple[bytes, dict[str, str]]]":
    """What subscription ``s`` of ``topic`` parks on its dead-letter topic, as it arrives."""
    parked: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()

    @broker.subscriber(f"{topic}-s-DLQ", subscription="inspect", decoder=raw_body)
    async def inspect(body: bytes) -> None:
        await parked.put((body, current_message(broker.context).headers))

    return parked


@dataclass
class TaggedCodec:
    """A batch codec (FastStream's BatchCodecProto) that says how it encoded each body:
    ``<position>/<batch size>:<json>``, or ``one:<json>`` for a single publish."""

    batches: list[int] = field(default_factory=list)
    singles: int = 0

    async def encode(self, msg: Any, serializer: Any = None) -> tuple[bytes, str | None]:
        self.singles += 1
        return b"one:" + json.dumps(msg).encode(), "application/x-tagged"

    async def encode_batch(
        self, msgs: Sequence[Any], serializer: Any = None
    ) -> list[tuple[bytes, str | None]]:
        self.batches.append(len(msgs))
        return [
            (f"{i}/{len(msgs)}:".encode() + json.dumps(m).encode(), "application/x-tagged")
            for i, m in enumerate(msgs)
        ]

    async def decode(self, msg: Any) -> Any:
        return json.loads(msg.body.split(b":", 1)[1])

    async def decode_batch(self, msg: Any) -> list[Any]:
        return [json.loads(body.split(b":", 1)[1]) for body in msg.body]


class SharedCases:
    """Cases that run in memory and on every real broker alike."""

    @pytest.fixture
    def harness(self) -> Harness:
        raise NotImplementedError("a test class provides the harness")

    async def test_a_handler_rejects_a_message_with_a_reason_and_its_error(
        self, harness: Harness, topic: str
    ) -> None:
        broker = harness.make()
        parked = dead_letters(broker, topic)

        @broker.subscriber(topic, subscription="s", decoder=raw_body)
        async def handle(body: bytes) -> None:
            try:
                raise LookupError(f"no stock for {body.decode()}")
            except LookupError as exc:
                await current_message(broker.context).delivery.reject("out-of-stock", error=exc)

        async with harness.run(broker):
            await broker.publish(b"hat", topic, key="k-1")
            [(body, props)] = await take(parked, 1)  # type: ignore[misc]

        assert body == b"hat"
        assert props["DLQ_REASON"] == "out-of-stock"
        assert props["DLQ_EXCEPTION_TYPE"] == "LookupError"
        assert props["DLQ_EXCEPTION_MESSAGE"] == "no stock for hat"
        assert props["DLQ_ATTEMPTS"] == "1"
        assert props["REAL_TOPIC"] == topic

    async def test_the_broker_is_told_of_each_message_it_parks(
        self, harness: Harness, topic: str
    ) -> None:
        """``on_dead_letter`` hears of a dead letter once its copy is stored: one call per
        message parked, with the properties the copy carries (what metrics count)."""
        told: list[dict[str, str]] = []
        broker = harness.make(on_dead_letter=lambda reason: told.append(dict(reason)))
        parked = dead_letters(broker, topic)

        @broker.subscriber(topic, subscription="s", decoder=raw_body)
        async def handle(body: bytes) -> None:
            if body != b"fine":
                await current_message(broker.context).delivery.reject("out-of-stock")

        async with harness.run(broker):
            await broker.publish_batch(b"hat", b"fine", b"scarf", topic=topic)
            await take(parked, 2)  # type: ignore[arg-type]
            await eventually(lambda: len(told) == 2)

        assert [t["DLQ_REASON"] for t in told] == ["out-of-stock", "out-of-stock"]
        assert {t["DLQ_SUBSCRIPTION"] for t in told} == {"s"}
        assert {t["REAL_TOPIC"] for t in told} == {topic}

    async def test_a_handler_nacks_with_its_error_and_the_last_attempt_carries_it(
        self, harness: Harness, topic: str
    ) -> None:
        broker = harness.make()
        parked = dead_letters(broker, topic)
        went_to_dlq: list[bool] = []

        @broker.subscriber(
            topic, subscription="s", decoder=raw_body, dead_letter=DeadLetterPolicy(0)
        )
        async def handle(body: bytes) -> None:
            delivery = current_message(broker.context).delivery
            went_to_dlq.append(await delivery.nack(error=TimeoutError("database timed out")))

        async with harness.run(broker):
            await broker.publish(b"order-1", topic)
            [(body, props)] = await take(parked, 1)  # type: ignore[misc]

        assert went_to_dlq == [True]
        assert body == b"order-1"
        assert props["DLQ_REASON"] == "max-redeliveries"
        assert props["DLQ_EXCEPTION_TYPE"] == "TimeoutError"
        assert props["DLQ_EXCEPTION_MESSAGE"] == "database timed out"

    @pytest.mark.parametrize(
        ("way", "reason"),
        [
            ("raise RejectMessage(reason=...) from exc", "invalid-total"),
            ("raise RejectMessage(reason=..., error=exc)", "invalid-total"),
            ("raise NackMessage() from exc", "max-redeliveries"),
            ("raise NackMessage(error=exc)", "max-redeliveries"),
        ],
    )
    async def test_a_handler_raising_reject_or_nack_names_the_error_in_the_dead_letter(
        self, harness: Harness, topic: str, way: str, reason: str
    ) -> None:
        broker = harness.make()
        parked = dead_letters(broker, topic)

        @broker.subscriber(
            topic, subscription="s", decoder=raw_body, dead_letter=DeadLetterPolicy(0)
        )
        async def handle(body: bytes) -> None:
            try:
                raise ValueError(f"total of {body.decode()} is negative")
            except ValueError as exc:
                if way == "raise RejectMessage(reason=...) from exc":
                    raise RejectMessage(reason="invalid-total") from exc
                if way == "raise RejectMessage(reason=..., error=exc)":
                    raise RejectMessage(reason="invalid-total", error=exc)  # noqa: B904
                if way == "raise NackMessage() from exc":
                    raise NackMessage() from exc
                raise NackMessage(error=exc)  # noqa: B904

        async with harness.run(broker):
            await broker.publish(b"order-7", topic)
            [(body, props)] = await take(parked, 1)  # type: ignore[misc]

        assert body == b"order-7"
        assert props["DLQ_REASON"] == reason
        assert props["DLQ_EXCEPTION_TYPE"] == "ValueError"
        assert props["DLQ_EXCEPTION_MESSAGE"] == "total of order-7 is negative"

    async def test_a_batch_handler_fails_deliveries_one_by_one_each_with_its_error(
        self, harness: Harness, topic: str
    ) -> None:
        broker = harness.make()
        parked = dead_letters(broker, topic)
        handled: list[bytes] = []

        @broker.subscriber(
            topic,
            subscription="s",
            batch=True,
            decoder=raw_body,
            dead_letter=DeadLetterPolicy(0),
        )
        async def handle(bodies: list[bytes]) -> None:
            deliveries = current_batch(broker.context).deliveries
            for body, delivery in zip(bodies, deliveries, strict=True):
                handled.append(body)
                if body == b"bad":
                    await delivery.reject("failed", error=KeyError("sku-9"))
                elif body == b"later":
                    await delivery.nack(error=ConnectionError("database down"))
                # anything else: acknowledged by the ack policy

        async with harness.run(broker):
            await broker.publish_batch(b"ok-1", b"bad", b"later", b"ok-2", topic=topic)
            got = await take(parked, 2)
            await eventually(lambda: len(handled) == 4)

        by_body = {body: props for body, props in got}  # type: ignore[misc]
        assert sorted(by_body) == [b"bad", b"later"]
        assert by_body[b"bad"]["DLQ_REASON"] == "failed"
        assert by_body[b"bad"]["DLQ_EXCEPTION_TYPE"] == "KeyError"
        assert by_body[b"bad"]["DLQ_EXCEPTION_MESSAGE"] == "'sku-9'"
        assert by_body[b"later"]["DLQ_REASON"] == "max-redeliveries"
        assert by_body[b"later"]["DLQ_EXCEPTION_TYPE"] == "ConnectionError"
        assert sorted(handled) == sorted([b"ok-1", b"bad", b"later", b"ok-2"])

    async def test_publish_batch_encodes_the_bodies_with_one_call_to_the_batch_codec(
        self, harness: Harness, topic: str
    ) -> None:
        codec = TaggedCodec()
        broker = harness.make(codec=codec)
        received: asyncio.Queue[tuple[Any, bytes, str | None]] = asyncio.Queue()

        @broker.subscriber(topic, subscription="s")
        async def handle(body: dict[str, int]) -> None:
            message = current_message(broker.context)
            await received.put((body, message.body, message.content_type))

        async with harness.run(broker):
            await broker.publish_batch(
                {"n": 0}, PulsarResponse({"n": 1}, key="k"), {"n": 2}, topic=topic
            )
            got = await take(received, 3)

        assert codec.batches == [3]
        assert codec.singles == 0
        assert got == [
            ({"n": n}, f"{n}/3:".encode() + json.dumps({"n": n}).encode(), "application/x-tagged")
            for n in range(3)
        ]

    async def test_request_reply_is_refused_with_the_reason_and_the_alternative(
        self, harness: Harness, topic: str
    ) -> None:
        broker = harness.make()
        publisher = broker.publisher(topic)
        async with harness.run(broker):
            for request in (partial(broker.request, {"id": 1}, topic), publisher.request):
                with pytest.raises(FeatureNotSupportedException) as refused:
                    await request()
                reason = str(refused.value)
                assert "Request/reply is not supported" in reason
                assert "reply-to" in reason
                assert "correlation_id" in reason

    async def test_a_subscriber_added_after_start_receives(
        self, harness: Harness, topic: str
    ) -> None:
        broker = harness.make()
        received: asyncio.Queue[str] = asyncio.Queue()

        async with harness.run(broker):
            subscriber = broker.subscriber(topic, subscription="late")

            @subscriber
            async def handle(body: str) -> None:
                await received.put(body)

            await subscriber.start()
            try:
                await broker.publish("hello", topic)
                assert await take(received, 1) == ["hello"]
            finally:
                await subscriber.stop()


class RealBrokerCases(SharedCases):
    @pytest.fixture
    def real(self) -> RealBroker:
        raise NotImplementedError("a test class provides the broker under test")

    @pytest.fixture
    def harness(self, real: RealBroker) -> Harness:
        return Harness(make=partial(make_broker, real), run=running)

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

    async def test_a_message_parked_before_anyone_reads_the_dlq_waits_on_its_subscription(
        self, real: RealBroker, topic: str
    ) -> None:
        """The policy's initial subscription exists on the DLQ before the first message is
        parked, so that message is in its backlog (a broker keeps nothing for a topic
        nobody subscribes to)."""
        broker = make_broker(real)
        policy = DeadLetterPolicy(max_redeliveries=0, initial_subscription="keeper")

        @broker.subscriber(topic, subscription="s", dead_letter=policy)
        async def handle(order: Order) -> None:
            raise RejectMessage(reason="no-stock")

        async with running(broker):
            await broker.publish(Order(id=7, item="z"), topic)
            await raw_read(real.url, f"{topic}-s-DLQ", 1)  # parked (another subscription)

        # Joining "keeper" at the latest position still finds it: the subscription was
        # there, holding it, before the message was parked. Made now, it would see nothing.
        async with raw_client(real.url) as client:
            keeper = await client.subscribe(
                f"{topic}-s-DLQ", "keeper", initial_position=pulsar.InitialPosition.Latest
            )
            try:
                async with asyncio.timeout(20):
                    kept = await keeper.receive()
            finally:
                await keeper.close()
        assert json.loads(kept.data()) == {"id": 7, "item": "z"}
        assert kept.properties()["DLQ_REASON"] == "no-stock"

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

    async def test_a_batch_subscriber_takes_a_backlog_in_batches_each_once_in_key_order(
        self, real: RealBroker, topic: str
    ) -> None:
        keys = [f"k{i}" for i in range(4)]
        count = 300
        await publish_backlog(
            real,
            topic,
            *(PulsarResponse({"key": keys[n % 4], "n": n}, key=keys[n % 4]) for n in range(count)),
        )
        broker = make_broker(real)
        sizes: list[int] = []
        per_key: dict[str, list[int]] = defaultdict(list)

        @broker.subscriber(topic, subscription="s", batch=True, max_batch_size=40, max_workers=4)
        async def handle(bodies: list[dict[str, Any]]) -> None:
            sizes.append(len(bodies))
            # Batches of unequal length: a later batch sharing a key, if let run
            # alongside, would finish first and break that key's order.
            await asyncio.sleep(0.004 * (len(sizes) % 2))
            for body in bodies:
                per_key[body["key"]].append(body["n"])

        async with running(broker):
            await eventually(lambda: sum(map(len, per_key.values())) >= count)

        assert any(size > 1 for size in sizes), f"batch sizes: {sizes[:50]}"
        assert max(sizes) <= 40, f"batch sizes: {sizes[:50]}"
        assert sorted(n for numbers in per_key.values() for n in numbers) == list(range(count))
        for key in keys:
            assert per_key[key] == list(range(keys.index(key), count, 4)), f"{key} out of order"
        assert await leftovers(real, topic) == [], "part of the backlog was not acknowledged"

    async def test_a_batch_handler_settles_each_delivery_and_the_policy_acks_the_rest(
        self, real: RealBroker, topic: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        backlog = [b"ack", b"reject", b"nack", b"rest-1", b"rest-2"]
        await publish_backlog(real, topic, *backlog)
        takes = first_batch_of(monkeypatch, len(backlog))
        broker = make_broker(real)
        batches: list[list[tuple[bytes, int]]] = []

        @broker.subscriber(
            topic, subscription="s", batch=True, decoder=raw_body, negative_ack_delay=0.1
        )
        async def handle(bodies: list[bytes]) -> None:
            deliveries = current_batch(broker.context).deliveries
            batches.append([(b, d.attempt) for b, d in zip(bodies, deliveries, strict=True)])
            for body, delivery in zip(bodies, deliveries, strict=True):
                if delivery.attempt > 1:
                    continue  # the redelivered one: left to the policy
                if body == b"ack":
                    await delivery.ack()
                elif body == b"reject":
                    await delivery.reject("out-of-stock")
                elif body == b"nack":
                    await delivery.nack()

        async with running(broker):
            await eventually(lambda: any((b"nack", 2) in batch for batch in batches))
            [parked] = await raw_read(real.url, f"{topic}-s-DLQ", 1)

        assert takes, "the subscriber no longer takes its batches through native.take_ready"
        assert batches[0] == [(body, 1) for body in backlog]
        # Only the nacked message came back; the acked, rejected and unsettled did not.
        assert sorted(x for batch in batches for x in batch) == sorted(
            [(body, 1) for body in backlog] + [(b"nack", 2)]
        )
        assert parked.data() == b"reject"
        props = parked.properties()
        assert props["DLQ_REASON"] == "out-of-stock"
        assert props["REAL_TOPIC"] == topic
        assert props["DLQ_SUBSCRIPTION"] == "s"
        assert props["DLQ_ATTEMPTS"] == "1"
        assert "DLQ_EXCEPTION_TYPE" not in props
        assert await leftovers(real, topic) == [], "a settled message is still pending"

    async def test_a_raising_batch_handler_is_split_then_each_redelivered_then_dlq(
        self, real: RealBroker, topic: str
    ) -> None:
        await publish_backlog(real, topic, b"ok-1", b"poison-1", b"poison-2", b"ok-2")
        broker = make_broker(real)
        seen: list[tuple[bytes, int]] = []
        batches: list[list[bytes]] = []

        @broker.subscriber(
            topic,
            subscription="s",
            batch=True,
            decoder=raw_body,
            negative_ack_delay=0.1,
            dead_letter=DeadLetterPolicy(max_redeliveries=2),
        )
        async def handle(bodies: list[bytes]) -> None:
            deliveries = current_batch(broker.context).deliveries
            batches.append(list(bodies))
            seen.extend((b, d.attempt) for b, d in zip(bodies, deliveries, strict=True))
            for body, delivery in zip(bodies, deliveries, strict=True):
                if body.startswith(b"ok"):
                    await delivery.ack()
            if any(body.startswith(b"poison") for body in bodies):
                raise ValueError("poison in the batch")

        async with running(broker):
            await eventually(lambda: (b"poison-1", 1) in seen)
            await broker.publish(b"ok-after", topic)
            parked = await raw_read(real.url, f"{topic}-s-DLQ", 2)

        def attempts(body: bytes) -> list[int]:
            return [attempt for b, attempt in seen if b == body]

        # Nobody knows which message failed a batch: each is tried again alone first.
        assert [b"poison-1"] in batches and [b"poison-2"] in batches
        assert sorted(set(attempts(b"poison-1"))) == [1, 2, 3]
        assert sorted(set(attempts(b"poison-2"))) == [1, 2, 3]
        # Settled before the handler raised: not redelivered with the failed ones.
        assert attempts(b"ok-1") == attempts(b"ok-2") == attempts(b"ok-after") == [1]
        # The failing messages did not hold up the one published after them.
        assert seen.index((b"ok-after", 1)) < seen.index((b"poison-1", 3))
        assert sorted(m.data() for m in parked) == [b"poison-1", b"poison-2"]
        for message in parked:
            props = message.properties()
            assert props["DLQ_REASON"] == "max-redeliveries"
            assert props["DLQ_EXCEPTION_TYPE"] == "ValueError"
            assert props["DLQ_EXCEPTION_MESSAGE"] == "poison in the batch"
            assert props["DLQ_ATTEMPTS"] == "3"
        assert await leftovers(real, topic) == []

    async def test_an_undecodable_message_in_a_batch_dead_letters_only_itself(
        self, real: RealBroker, topic: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        backlog = [Order(id=1, item="a"), b"not json", Order(id=3, item="c")]
        await publish_backlog(real, topic, *backlog)
        first_batch_of(monkeypatch, 3)
        broker = make_broker(real)
        handled: list[int] = []

        @broker.subscriber(topic, subscription="s", batch=True, negative_ack_delay=0.1)
        async def handle(orders: list[Order]) -> None:
            handled.extend(order.id for order in orders)

        async with running(broker):
            [parked] = await raw_read(real.url, f"{topic}-s-DLQ", 1)
            assert parked.data() == b"not json", f"{parked.data()!r} parked"
            assert parked.properties()["DLQ_REASON"] == "undecodable"
            # The valid ones failed only for the company they kept: they come again.
            await eventually(lambda: sorted(handled) == [1, 3], timeout=10)

    async def test_graceful_stop_lets_the_in_flight_batch_finish_and_acks_it(
        self, real: RealBroker, topic: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        backlog = [f"m{n}".encode() for n in range(20)]
        await publish_backlog(real, topic, *backlog)
        takes = first_batch_of(monkeypatch, 5)
        broker = make_broker(real)
        started: list[list[bytes]] = []
        finished: list[list[bytes]] = []

        @broker.subscriber(topic, subscription="s", batch=True, decoder=raw_body)
        async def handle(bodies: list[bytes]) -> None:
            started.append(bodies)
            await asyncio.sleep(0.5)
            finished.append(bodies)

        await broker.start()
        await eventually(lambda: bool(started), timeout=10)
        await broker.stop()

        assert takes, "the subscriber no longer takes its batches through native.take_ready"
        # The batch in flight finished; the next one, already taken, never started.
        assert started == finished == [backlog[:5]]
        # The finished batch was acknowledged, and everything after it comes again.
        assert sorted(await leftovers(real, topic)) == sorted(backlog[5:])

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

    async def test_send_many_stores_each_topics_bytes_in_order_with_keys_and_properties(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real, batching=True)
        other = f"{topic}-other"
        # More than the producer's in-flight bound (1000): sent in chunks, still in order.
        messages = [
            OutgoingMessage(
                topic if n % 3 else other, f"m{n}".encode(), {"n": str(n)}, key=f"k{n % 7}"
            )
            for n in range(1500)
        ]
        async with running(broker):
            results = await broker.send_many(messages)
        assert not [r for r in results if isinstance(r, BaseException)]
        # In order per topic and key: batches hold one key each where Key_Shared exists
        # (a Key_Shared consumer gets a batch as a whole), so keys interleave freely.
        for name in (topic, other):
            sent = [m for m in messages if m.topic == name]
            received = await raw_read(real.url, name, len(sent))
            for key in {m.key for m in sent}:
                mine = [m for m in sent if m.key == key]
                got = [m for m in received if m.partition_key() == key]
                assert [m.data() for m in got] == [m.payload for m in mine]
                assert [m.properties()["n"] for m in got] == [m.properties["n"] for m in mine]
            if not real.capabilities.key_shared:  # one batcher: the topic's order too
                assert [m.data() for m in received] == [m.payload for m in sent]

    async def test_send_many_reports_the_one_message_the_broker_did_not_store(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        too_big = b"x" * (6 * 1024 * 1024)  # over the 5 MB message size limit
        messages = [
            OutgoingMessage(topic, b"first", {}),
            OutgoingMessage(topic, too_big, {}),
            OutgoingMessage(topic, b"third", {}),
        ]
        async with running(broker):
            first, failed, third = await broker.send_many(messages)
        assert isinstance(failed, PublishError), failed
        assert topic in str(failed)
        assert not isinstance(first, BaseException) and not isinstance(third, BaseException)
        assert [m.data() for m in await raw_read(real.url, topic, 2)] == [b"first", b"third"]

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
