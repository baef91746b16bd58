"""TestPulsarBroker: the in-memory broker for fast handler tests, with settlement observable."""

from typing import Any

import pytest
from faststream.middlewares import AckPolicy
from pydantic import BaseModel

from adapters.pulsar import DeadLetterPolicy, PulsarBroker, PulsarResponse, TestPulsarBroker
from adapters.pulsar.decoders import raw_body
from adapters.pulsar.message import current_batch
from adapters.pulsar.testing import RecordingSettler

TOPIC = "persistent://public/default/orders"


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
