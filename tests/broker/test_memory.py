"""TestPulsarBroker: the in-memory broker for fast handler tests, with settlement observable."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from faststream.exceptions import RejectMessage
from faststream.middlewares import AckPolicy
from pydantic import BaseModel

from adapters.pulsar import DeadLetterPolicy, PulsarBroker, PulsarResponse, TestPulsarBroker
from adapters.pulsar.decoders import raw_body
from adapters.pulsar.message import current_batch, current_message
from adapters.pulsar.testing import FakeClient, RecordingSettler

from .cases import Harness, SharedCases, TaggedCodec

TOPIC = "persistent://public/default/orders"


@asynccontextmanager
async def in_memory(broker: PulsarBroker) -> AsyncIterator[PulsarBroker]:
    async with TestPulsarBroker(broker) as br:
        yield br


class TestInMemory(SharedCases):
    @pytest.fixture
    def harness(self) -> Harness:
        return Harness(make=PulsarBroker, run=in_memory)


class Order(BaseModel):
    id: int
    item: str


def settler_of(subscriber: Any) -> RecordingSettler:
    settler = subscriber.settler
    assert isinstance(settler, RecordingSettler)
    return settler


async def test_a_handled_message_is_acknowledged() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(TOPIC, subscription="s")

    @sub
    async def handle(order: Order) -> None: ...

    async with TestPulsarBroker(broker) as br:
        await br.publish(Order(id=1, item="a"), TOPIC, key="c-1")
        handle.mock.assert_called_once_with({"id": 1, "item": "a"})
        assert len(settler_of(sub).acked) == 1
        assert settler_of(sub).acked[0].partition_key() == "c-1"


async def test_a_failing_handler_is_nacked_and_the_error_reaches_the_test() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(TOPIC, subscription="s")

    @sub
    async def handle(order: Order) -> None:
        raise RuntimeError("db down")

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(RuntimeError, match="db down"):
            await br.publish(Order(id=1, item="a"), TOPIC)
        assert len(settler_of(sub).nacked) == 1
        assert settler_of(sub).dead_lettered == []


async def test_with_no_redeliveries_left_a_failure_is_dead_lettered_with_its_reason() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(TOPIC, subscription="s", dead_letter=DeadLetterPolicy(0))

    @sub
    async def handle(order: Order) -> None:
        raise KeyError("sku-9")

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(KeyError):
            await br.publish(Order(id=1, item="a"), TOPIC)
        [(_, reason)] = settler_of(sub).dead_lettered
        assert reason["DLQ_REASON"] == "max-redeliveries"
        assert reason["DLQ_EXCEPTION_TYPE"] == "KeyError"
        assert settler_of(sub).nacked == []


async def test_reject_on_error_dead_letters_at_once() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(TOPIC, subscription="s", ack_policy=AckPolicy.REJECT_ON_ERROR)

    @sub
    async def handle(order: Order) -> None:
        raise ValueError("bad")

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(ValueError):
            await br.publish(Order(id=1, item="a"), TOPIC)
        [(_, reason)] = settler_of(sub).dead_lettered
        assert reason["DLQ_REASON"] == "rejected"
        assert reason["DLQ_EXCEPTION_MESSAGE"] == "bad"


async def test_an_invalid_body_is_dead_lettered_as_undecodable() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(TOPIC, subscription="s")

    ran: list[Order] = []

    @sub
    async def handle(order: Order) -> None:
        ran.append(order)

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(Exception, match="validation error"):
            await br.publish({"id": "not a number"}, TOPIC)
        [(_, reason)] = settler_of(sub).dead_lettered
        assert reason["DLQ_REASON"] == "undecodable"
        assert reason["DLQ_EXCEPTION_TYPE"] == "ValidationError"
        assert ran == []


async def test_a_handler_result_goes_to_its_publisher() -> None:
    broker = PulsarBroker()
    out = broker.publisher(f"{TOPIC}-out")

    @out
    @broker.subscriber(TOPIC, subscription="s")
    async def handle(order: Order) -> PulsarResponse:
        return PulsarResponse(Order(id=order.id, item="done"), key=f"c-{order.id}")

    async with TestPulsarBroker(broker) as br:
        await br.publish(Order(id=2, item="a"), TOPIC)
        out.mock.assert_called_once_with({"id": 2, "item": "done"})


async def test_each_subscription_gets_its_own_copy() -> None:
    broker = PulsarBroker()
    first = broker.subscriber(TOPIC, subscription="projector")
    second = broker.subscriber(TOPIC, subscription="notifier")

    @first
    async def project(order: Order) -> None: ...

    @second
    async def notify(order: Order) -> None: ...

    async with TestPulsarBroker(broker) as br:
        await br.publish(Order(id=3, item="a"), TOPIC)
        project.mock.assert_called_once()
        notify.mock.assert_called_once()


async def test_a_batch_subscriber_gets_each_publish_as_a_batch_of_one() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(TOPIC, subscription="s", batch=True)

    @sub
    async def handle(orders: list[Order]) -> None: ...

    async with TestPulsarBroker(broker) as br:
        await br.publish(Order(id=1, item="a"), TOPIC)
        handle.mock.assert_called_once_with([{"id": 1, "item": "a"}])
        assert len(settler_of(sub).acked) == 1


async def test_a_batch_handlers_settlement_of_each_delivery_shows_on_the_settler() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(TOPIC, subscription="s", batch=True, decoder=raw_body)

    @sub
    async def handle(bodies: list[bytes]) -> None:
        for body, delivery in zip(bodies, current_batch(broker.context).deliveries, strict=True):
            if body == b"ack":
                await delivery.ack()
            elif body == b"reject":
                await delivery.reject("out-of-stock")
            elif body == b"nack":
                await delivery.nack()
            # anything else: left to the ack policy

    async with TestPulsarBroker(broker) as br:
        for body in (b"ack", b"reject", b"nack", b"rest"):
            await br.publish(body, TOPIC)

    settler = settler_of(sub)
    assert [m.data() for m in settler.acked] == [b"ack", b"rest"]
    assert [m.data() for m in settler.nacked] == [b"nack"]
    [(parked, reason)] = settler.dead_lettered
    assert parked.data() == b"reject"
    assert reason["DLQ_REASON"] == "out-of-stock"
    assert reason["DLQ_SUBSCRIPTION"] == "s"
    assert "DLQ_EXCEPTION_TYPE" not in reason


async def test_a_raising_batch_handler_nacks_only_what_it_left_unsettled() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(TOPIC, subscription="s", batch=True, decoder=raw_body)

    @sub
    async def handle(bodies: list[bytes]) -> None:
        for body, delivery in zip(bodies, current_batch(broker.context).deliveries, strict=True):
            if body == b"fine":
                await delivery.ack()
        raise RuntimeError("db down")

    async with TestPulsarBroker(broker) as br:
        for body in (b"fine", b"stuck"):
            with pytest.raises(RuntimeError, match="db down"):
                await br.publish(body, TOPIC)

    settler = settler_of(sub)
    assert [m.data() for m in settler.acked] == [b"fine"]
    assert [m.data() for m in settler.nacked] == [b"stuck"]
    assert settler.dead_lettered == []


async def test_a_batch_failure_with_no_redeliveries_left_is_dead_lettered_with_its_reason() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(
        TOPIC, subscription="s", batch=True, decoder=raw_body, dead_letter=DeadLetterPolicy(0)
    )

    @sub
    async def handle(bodies: list[bytes]) -> None:
        raise KeyError("sku-9")

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(KeyError):
            await br.publish(b"order", TOPIC)

    [(parked, reason)] = settler_of(sub).dead_lettered
    assert parked.data() == b"order"
    assert reason["DLQ_REASON"] == "max-redeliveries"
    assert reason["DLQ_EXCEPTION_TYPE"] == "KeyError"
    assert settler_of(sub).nacked == []


async def test_a_batch_subscriber_gets_a_published_batch_in_batches_of_its_max_size() -> None:
    codec = TaggedCodec()
    broker = PulsarBroker(codec=codec)
    sub = broker.subscriber(TOPIC, subscription="s", batch=True, max_batch_size=2)
    batches: list[list[dict[str, int]]] = []

    @sub
    async def handle(bodies: list[dict[str, int]]) -> None:
        batches.append(bodies)

    async with TestPulsarBroker(broker) as br:
        await br.publish_batch(*({"n": n} for n in range(5)), topic=TOPIC)

    assert codec.batches == [5]
    assert batches == [[{"n": 0}, {"n": 1}], [{"n": 2}, {"n": 3}], [{"n": 4}]]
    assert len(settler_of(sub).acked) == 5


async def test_a_single_message_subscriber_gets_a_published_batch_one_by_one() -> None:
    broker = PulsarBroker()

    @broker.subscriber(TOPIC, subscription="s")
    async def handle(order: Order) -> None: ...

    async with TestPulsarBroker(broker) as br:
        await br.publish_batch(Order(id=1, item="a"), Order(id=2, item="b"), topic=TOPIC)
        assert [c.args[0]["id"] for c in handle.mock.call_args_list] == [1, 2]


async def test_a_raising_batch_handler_is_split_and_each_message_handled_alone() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(
        TOPIC, subscription="s", batch=True, decoder=raw_body, dead_letter=DeadLetterPolicy(0)
    )
    calls: list[list[bytes]] = []

    @sub
    async def handle(bodies: list[bytes]) -> None:
        calls.append(bodies)
        if b"poison" in bodies:
            raise ValueError("poison in the batch")

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(ValueError, match="poison in the batch"):
            await br.publish_batch(b"ok", b"poison", topic=TOPIC)

    assert calls == [[b"ok", b"poison"], [b"ok"], [b"poison"]]
    settler = settler_of(sub)
    assert [m.data() for m in settler.acked] == [b"ok"]
    [(parked, reason)] = settler.dead_lettered
    assert parked.data() == b"poison"
    assert reason["DLQ_EXCEPTION_MESSAGE"] == "poison in the batch"


async def test_a_batch_handler_raising_reject_from_an_error_rejects_the_batch_unsplit() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(TOPIC, subscription="s", batch=True, decoder=raw_body)
    calls: list[list[bytes]] = []

    @sub
    async def handle(bodies: list[bytes]) -> None:
        calls.append(bodies)
        try:
            raise LookupError("unknown brand")
        except LookupError as exc:
            raise RejectMessage(reason="unknown-brand") from exc

    async with TestPulsarBroker(broker) as br:
        await br.publish_batch(b"a", b"b", topic=TOPIC)

    assert calls == [[b"a", b"b"]], "an explicit reject is no failure to split"
    reasons = [reason for _, reason in settler_of(sub).dead_lettered]
    assert [r["DLQ_REASON"] for r in reasons] == ["unknown-brand", "unknown-brand"]
    assert {r["DLQ_EXCEPTION_TYPE"] for r in reasons} == {"LookupError"}


async def test_setting_delivery_failure_still_works_but_is_deprecated() -> None:
    broker = PulsarBroker()
    sub = broker.subscriber(TOPIC, subscription="s", decoder=raw_body)

    @sub
    async def handle(body: bytes) -> None:
        delivery = current_message(broker.context).delivery
        with pytest.warns(DeprecationWarning, match=r"reject\(reason, error=exc\)"):
            delivery.failure = RuntimeError("old style")
        await delivery.reject("failed")

    async with TestPulsarBroker(broker) as br:
        await br.publish(b"x", TOPIC)

    [(_, reason)] = settler_of(sub).dead_lettered
    assert reason["DLQ_EXCEPTION_TYPE"] == "RuntimeError"
    assert reason["DLQ_EXCEPTION_MESSAGE"] == "old style"


async def test_a_subscriber_started_at_run_time_records_settlement_and_stops_cleanly() -> None:
    broker = PulsarBroker()
    handled = asyncio.Event()

    async with TestPulsarBroker(broker) as br:
        await br.start()
        sub = br.subscriber(TOPIC, subscription="late", batch=True)

        @sub
        async def handle(orders: list[Order]) -> None:
            handled.set()

        await sub.start()  # FastStream's own test brokers allow it; so does this one
        assert isinstance(broker.config.broker_config._client, FakeClient)
        await br.publish(Order(id=1, item="a"), TOPIC)
        assert handled.is_set()
        assert len(settler_of(sub).acked) == 1
        loops = list(sub.tasks)
        # Left running: leaving the test broker ends its receive loop.

    await asyncio.wait(loops, timeout=1)
    assert all(task.done() for task in loops)
    assert broker.config.broker_config._client is None
