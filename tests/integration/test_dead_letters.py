"""Operators' tools for dead letters (workers.dead_letters) against each real broker: what
is listed stays, a dry run changes nothing, a redrive stores the original message on its
real topic before removing it from the DLQ, a purge drops only what it names."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pulsar
import pytest
from faststream import Context
from faststream.middlewares import AckPolicy

from adapters.embedded_pulsar import free_port
from adapters.pulsar import (
    BrokerUnavailableError,
    PublishError,
    PulsarBroker,
    PulsarMessage,
    PulsarSubscriber,
)
from adapters.pulsar.receiver import Receiver
from contracts.topics import COMMAND_TOPICS, COMMANDS_V2, EVENT_TOPICS, EVENTS_V2
from tests.support.brokers import RealBroker
from tests.support.raw import raw_client, raw_read
from tests.support.waiting import eventually
from workers import commands as command_worker
from workers import notifications, projector
from workers.dead_letters import (
    DEAD_LETTER_TOPICS,
    REDRIVEN_AT,
    REDRIVEN_FROM,
    DeadLetter,
    DeadLetterTopic,
    NothingMatched,
    list_dead_letters,
    purge,
    redrive,
    redrive_properties,
    topics_of,
)

pytestmark = pytest.mark.timeout(180)

RECEIVE_TIMEOUT = 1.0


@pytest.fixture(params=["pulsar_lite", "apache_pulsar"])
def real(request: pytest.FixtureRequest) -> RealBroker:
    broker: RealBroker = request.getfixturevalue(request.param)
    return broker


@pytest.fixture
def dlqs() -> list[DeadLetterTopic]:
    """Two DLQ topics of the command worker's subscription that no other test uses."""
    run = uuid.uuid4().hex[:10]
    return [
        DeadLetterTopic(
            command_worker.SUBSCRIPTION, f"persistent://public/default/test-dlq-{run}-{name}"
        )
        for name in ("crear", "pausar")
    ]


def dead_letter_properties(source: str, **extra: str) -> dict[str, str]:
    """What the adapter adds when it parks a message, as on a real dead-lettered copy."""
    return {
        "REAL_TOPIC": source,
        "ORIGIN_MESSAGE_ID": "(7,3,-1,-1)",
        "DLQ_SUBSCRIPTION": command_worker.SUBSCRIPTION,
        "DLQ_REASON": "max-redeliveries",
        "DLQ_EXCEPTION_TYPE": "OperationalError",
        "DLQ_EXCEPTION_MESSAGE": "database is locked",
        "DLQ_ATTEMPTS": "6",
        "DLQ_AT": "2026-11-20T10:00:00.000+00:00",
        **extra,
    }


ORIGINAL = {"command_id": "cmd-1", "correlation_id": "corr-1", "content-type": "application/json"}


async def park(
    url: str, where: DeadLetterTopic, body: bytes, key: str, properties: dict[str, str]
) -> None:
    async with raw_client(url) as client:
        producer = await client.create_producer(where.topic, batching_enabled=False)
        await producer.send(body, properties=properties, partition_key=key)
        await producer.close()


async def listed(real: RealBroker, dlqs: list[DeadLetterTopic]) -> list[DeadLetter]:
    listing = await list_dead_letters(real.url, topics=dlqs, receive_timeout=RECEIVE_TIMEOUT)
    return listing.letters


@asynccontextmanager
async def watching(url: str, topic: str) -> AsyncIterator[Receiver]:
    """A plain consumer of ``topic`` from its first message, subscribed before anything
    is redriven there."""
    async with raw_client(url) as client:
        consumer = await client.subscribe(
            topic,
            f"watch-{uuid.uuid4().hex[:8]}",
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        receiver = Receiver(consumer)
        try:
            yield receiver
        finally:
            await receiver.close()


async def test_the_service_has_one_dlq_topic_per_worker_subscription_and_topic() -> None:
    # Commands: the v2 stream and the 8 deprecated v1 topics; events: the v2 stream only.
    expected = (
        {f"{t}-{command_worker.SUBSCRIPTION}-DLQ" for t in (COMMANDS_V2, *COMMAND_TOPICS.values())}
        | {f"{EVENTS_V2}-{projector.SUBSCRIPTION}-DLQ"}
        | {f"{EVENTS_V2}-{notifications.SUBSCRIPTION}-DLQ"}
    )
    assert len(DEAD_LETTER_TOPICS) == 11
    assert {t.topic for t in DEAD_LETTER_TOPICS} == expected
    assert [t.source for t in topics_of(command_worker.SUBSCRIPTION)] == [
        COMMANDS_V2,
        *COMMAND_TOPICS.values(),
    ]
    assert [t.source for t in topics_of(projector.SUBSCRIPTION)] == [EVENTS_V2]
    assert [t.source for t in topics_of(notifications.SUBSCRIPTION)] == [EVENTS_V2]
    assert not {t.source for t in DEAD_LETTER_TOPICS} & set(EVENT_TOPICS.values())
    with pytest.raises(ValueError, match="unknown subscription"):
        topics_of("alpes-nadie")


def test_the_dlq_topics_are_those_of_what_the_workers_subscribe_to() -> None:
    """The list the operators' tools read matches the workers' real subscriptions."""
    broker = PulsarBroker()
    command_worker.register(broker, processor=None, concurrency=4)  # type: ignore[arg-type]
    projector.register(broker, store=None)  # type: ignore[arg-type]
    notifications.register(broker, sender=None)  # type: ignore[arg-type]

    subscribed = {
        (sub.subscription, topic)
        for sub in broker.subscribers
        if isinstance(sub, PulsarSubscriber)
        for topic in sub.prefixed_topics
    }
    assert subscribed == {(t.subscription, t.source) for t in DEAD_LETTER_TOPICS}


def test_a_redriven_command_without_a_command_id_gets_one_fixed_by_its_place_in_the_dlq() -> None:
    where = DeadLetterTopic(command_worker.SUBSCRIPTION, COMMAND_TOPICS["crear-campana"])
    letter = DeadLetter(
        where=where,
        message_id="(4,2,-1,-1)",
        key="c-1",
        properties=dead_letter_properties(where.source, correlation_id="corr-9"),
        body=b"{}",
        published_at=datetime.now(UTC),
    )
    first, again = redrive_properties(letter), redrive_properties(letter)
    assert first["command_id"] == again["command_id"]
    assert first["command_id"].startswith("redriven-")
    assert first[REDRIVEN_FROM] == f"{where.topic}@(4,2,-1,-1)"
    assert not [
        k for k in first if k.startswith("DLQ_") or k in {"REAL_TOPIC", "ORIGIN_MESSAGE_ID"}
    ]
    event_dlq = DeadLetterTopic(projector.SUBSCRIPTION, EVENTS_V2)
    event = DeadLetter(event_dlq, "(1,1,-1,-1)", None, {}, b"{}", datetime.now(UTC))
    assert "command_id" not in redrive_properties(event)


async def test_list_shows_each_dead_letter_and_leaves_it_for_the_next_command(
    real: RealBroker, dlqs: list[DeadLetterTopic]
) -> None:
    crear, pausar = dlqs
    await park(real.url, crear, b'{"id": "c-1"}', "c-1", dead_letter_properties(crear.source))
    await park(real.url, crear, b"not json", "c-2", dead_letter_properties(crear.source))
    await park(real.url, pausar, b'{"campana_id": "c-3"}', "c-3", ORIGINAL)

    first = await list_dead_letters(real.url, topics=dlqs, receive_timeout=RECEIVE_TIMEOUT)
    second = await listed(real, dlqs)

    assert [(x.dlq_topic, x.key, x.body) for x in first.letters] == [
        (crear.topic, "c-1", b'{"id": "c-1"}'),
        (crear.topic, "c-2", b"not json"),
        (pausar.topic, "c-3", b'{"campana_id": "c-3"}'),
    ]
    assert first.counts() == {crear.topic: 2, pausar.topic: 1}
    one = first.letters[0]
    assert (one.reason, one.exception_type, one.attempts, one.at) == (
        "max-redeliveries",
        "OperationalError",
        "6",
        "2026-11-20T10:00:00.000+00:00",
    )
    assert one.real_topic == crear.source
    assert one.full()["properties"]["DLQ_EXCEPTION_MESSAGE"] == "database is locked"
    assert [x.message_id for x in second] == [x.message_id for x in first.letters]


async def test_the_dead_letters_of_one_correlation_id_are_found_among_the_others(
    real: RealBroker, dlqs: list[DeadLetterTopic]
) -> None:
    crear, pausar = dlqs
    mine, other = f"corr-{uuid.uuid4().hex[:8]}", f"corr-{uuid.uuid4().hex[:8]}"
    for where, key, correlation in (
        (crear, "c-1", mine),
        (crear, "c-2", other),
        (pausar, "c-3", mine),
    ):
        extra = {"correlation_id": correlation}
        await park(real.url, where, b"not json", key, dead_letter_properties(where.source, **extra))
    await park(real.url, pausar, b"{}", "c-4", dead_letter_properties(pausar.source))

    listing = await list_dead_letters(real.url, topics=dlqs, receive_timeout=RECEIVE_TIMEOUT)

    found = listing.correlated(mine)
    assert [(x.dlq_topic, x.key) for x in found] == [(crear.topic, "c-1"), (pausar.topic, "c-3")]
    assert [x.summary()["correlation_id"] for x in found] == [mine, mine]
    assert [x.key for x in listing.correlated(other)] == ["c-2"]
    assert listing.correlated("corr-nobody") == []
    assert [x.correlation_id for x in listing.letters if x.key == "c-4"] == [None]
    # Looking changed nothing: everything is still there for the next command.
    assert len(await listed(real, dlqs)) == 4


async def test_listing_on_an_unreachable_broker_gives_up_after_the_connect_timeout(
    dlqs: list[DeadLetterTopic],
) -> None:
    url = f"pulsar://127.0.0.1:{free_port()}"
    started = time.monotonic()

    with pytest.raises(BrokerUnavailableError, match=url):
        await list_dead_letters(url, topics=dlqs, receive_timeout=0.1, connect_timeout=1)

    assert time.monotonic() - started < 8


async def test_a_dry_run_redrive_republishes_nothing_and_removes_nothing(
    real: RealBroker, dlqs: list[DeadLetterTopic]
) -> None:
    crear, _ = dlqs
    await park(real.url, crear, b'{"id": "c-1"}', "c-1", dead_letter_properties(crear.source))

    async with watching(real.url, crear.source) as real_topic:
        planned = await redrive(
            real.url, everything=True, dry_run=True, topics=dlqs, receive_timeout=RECEIVE_TIMEOUT
        )
        assert await real_topic.receive(timeout=2.0) is None

    assert [(r.topic, r.new_message_id) for r in planned] == [(crear.source, None)]
    assert planned[0].properties[REDRIVEN_FROM].startswith(f"{crear.topic}@")
    assert [x.body for x in await listed(real, dlqs)] == [b'{"id": "c-1"}']


async def test_redriving_one_id_stores_the_original_message_on_its_real_topic_and_only_it_leaves(
    real: RealBroker, dlqs: list[DeadLetterTopic]
) -> None:
    crear, pausar = dlqs
    await park(
        real.url, crear, b'{"id": "c-1"}', "c-1", dead_letter_properties(crear.source, **ORIGINAL)
    )
    await park(real.url, crear, b'{"id": "c-2"}', "c-2", dead_letter_properties(crear.source))
    await park(real.url, pausar, b'{"campana_id": "c-3"}', "c-3", ORIGINAL)
    chosen, *others = await listed(real, dlqs)

    done = await redrive(
        real.url, ids=[chosen.message_id], topics=dlqs, receive_timeout=RECEIVE_TIMEOUT
    )
    [copy] = await raw_read(real.url, crear.source, 1)
    left = await listed(real, dlqs)

    assert [(r.letter.message_id, r.topic) for r in done] == [(chosen.message_id, crear.source)]
    assert done[0].new_message_id == str(copy.message_id())
    assert copy.data() == b'{"id": "c-1"}'
    assert copy.partition_key() == "c-1"
    properties = dict(copy.properties())
    assert properties.pop(REDRIVEN_FROM) == f"{crear.topic}@{chosen.message_id}"
    assert datetime.fromisoformat(properties.pop(REDRIVEN_AT)).tzinfo is not None
    assert properties == ORIGINAL
    assert [x.message_id for x in left] == [x.message_id for x in others]


async def test_a_redrive_whose_send_fails_leaves_that_dead_letter_in_the_dlq(
    real: RealBroker, dlqs: list[DeadLetterTopic]
) -> None:
    crear, _ = dlqs
    await park(real.url, crear, b"good", "k-1", dead_letter_properties(crear.source))
    unsendable = dead_letter_properties(crear.source, REAL_TOPIC="no-such-scheme://x/y/z")
    await park(real.url, crear, b"bad", "k-2", unsendable)
    _, bad = await listed(real, dlqs)

    with pytest.raises(PublishError, match="no-such-scheme"):
        await redrive(real.url, everything=True, topics=dlqs, receive_timeout=RECEIVE_TIMEOUT)

    [copy] = await raw_read(real.url, crear.source, 1)
    assert copy.data() == b"good"
    assert [x.message_id for x in await listed(real, dlqs)] == [bad.message_id]


async def test_purge_drops_only_the_selected_dead_letters_and_a_dry_run_none(
    real: RealBroker, dlqs: list[DeadLetterTopic]
) -> None:
    crear, pausar = dlqs
    await park(real.url, crear, b"a", "k-a", dead_letter_properties(crear.source))
    await park(real.url, pausar, b"b", "k-b", dead_letter_properties(pausar.source))
    await park(real.url, pausar, b"c", "k-c", dead_letter_properties(pausar.source))
    _, b, _ = await listed(real, dlqs)

    would = await purge(
        real.url, everything=True, dry_run=True, topics=dlqs, receive_timeout=RECEIVE_TIMEOUT
    )
    assert len(would) == 3
    assert len(await listed(real, dlqs)) == 3

    dropped = await purge(
        real.url, ids=[b.message_id], topics=dlqs, receive_timeout=RECEIVE_TIMEOUT
    )
    assert [x.message_id for x in dropped] == [b.message_id]
    assert [x.body for x in await listed(real, dlqs)] == [b"a", b"c"]

    await purge(real.url, everything=True, topics=dlqs, receive_timeout=RECEIVE_TIMEOUT)
    assert await listed(real, dlqs) == []
    with pytest.raises(NothingMatched):
        await purge(real.url, everything=True, topics=dlqs, receive_timeout=RECEIVE_TIMEOUT)


async def test_dead_letters_stored_in_one_batch_leave_the_dlq_together_or_not_at_all(
    real: RealBroker, dlqs: list[DeadLetterTopic]
) -> None:
    crear, _ = dlqs
    async with raw_client(real.url) as client:
        producer = await client.create_producer(
            crear.topic, batching_enabled=True, batching_max_publish_delay_ms=200
        )
        await asyncio.gather(*(producer.send(body) for body in (b"a", b"b", b"c")))
        await producer.close()
    letters = await listed(real, dlqs)
    assert len({x.batch for x in letters}) == 1 and letters[0].batch is not None
    a, b, c = (x.message_id for x in letters)

    for partial in ([a], [b, c]):
        with pytest.raises(ValueError, match="one batch"):
            await purge(real.url, ids=partial, topics=dlqs, receive_timeout=RECEIVE_TIMEOUT)
        with pytest.raises(ValueError, match="one batch"):
            await redrive(real.url, ids=partial, topics=dlqs, receive_timeout=RECEIVE_TIMEOUT)
    assert [x.message_id for x in await listed(real, dlqs)] == [a, b, c]

    await purge(real.url, ids=[c, a, b], topics=dlqs, receive_timeout=RECEIVE_TIMEOUT)
    assert await listed(real, dlqs) == []


async def test_an_id_that_is_not_there_changes_nothing_even_next_to_one_that_is(
    real: RealBroker, dlqs: list[DeadLetterTopic]
) -> None:
    crear, _ = dlqs
    await park(real.url, crear, b"a", "k-a", dead_letter_properties(crear.source))
    [there] = await listed(real, dlqs)

    with pytest.raises(NothingMatched, match=r"\(999,9,-1,-1\)"):
        await redrive(
            real.url,
            ids=[there.message_id, "(999,9,-1,-1)"],
            topics=dlqs,
            receive_timeout=RECEIVE_TIMEOUT,
        )
    with pytest.raises(NothingMatched):
        await purge(real.url, ids=["(999,9,-1,-1)"], topics=dlqs, receive_timeout=RECEIVE_TIMEOUT)
    with pytest.raises(ValueError, match="no selection"):
        await purge(real.url, topics=dlqs, receive_timeout=RECEIVE_TIMEOUT)

    assert [x.message_id for x in await listed(real, dlqs)] == [there.message_id]


async def test_a_message_our_broker_rejected_is_listed_with_its_reason_and_redriven_to_the_handler(
    real: RealBroker, topic: str
) -> None:
    broker = PulsarBroker(real.url, capabilities=real.capabilities, graceful_timeout=10)
    calls: list[tuple[bytes, str | None, str | None]] = []

    @broker.subscriber(topic, subscription="s", ack_policy=AckPolicy.REJECT_ON_ERROR)
    async def handle(body: bytes, message: PulsarMessage = Context()) -> None:
        calls.append((body, message.headers.get("command_id"), message.headers.get(REDRIVEN_FROM)))
        if len(calls) == 1:
            raise RuntimeError("no stock")

    dlq = [DeadLetterTopic("s", topic)]
    await broker.start()
    try:
        await broker.publish(b"order-5", topic, key="k-5", headers={"command_id": "cmd-5"})
        await eventually(lambda: len(calls) == 1)
        async with asyncio.timeout(30):
            while not (letters := await listed(real, dlq)):
                await asyncio.sleep(0.1)
        [letter] = letters
        assert (letter.reason, letter.exception_type, letter.attempts) == (
            "rejected",
            "RuntimeError",
            "1",
        )
        assert letter.properties["DLQ_EXCEPTION_MESSAGE"] == "no stock"
        assert letter.properties["DLQ_SUBSCRIPTION"] == "s"
        assert letter.real_topic == topic
        assert letter.key == "k-5"

        await redrive(real.url, everything=True, topics=dlq, receive_timeout=RECEIVE_TIMEOUT)
        await eventually(lambda: len(calls) == 2)
    finally:
        await broker.stop()

    assert calls[1] == (b"order-5", "cmd-5", f"{dlq[0].topic}@{letter.message_id}")
    assert await listed(real, dlq) == []
