"""PulsarReader against every real broker (pulsar-lite and Apache Pulsar): written once,
combined with a ``real`` fixture by each broker's test class."""

import asyncio
import contextlib
import time

import pytest

from adapters.embedded_pulsar import free_port
from adapters.pulsar import BrokerUnavailableError, InitialPosition, PulsarReader, ReadMessage
from tests.support.brokers import RealBroker
from tests.support.raw import raw_publish

from .cases import make_broker, running


def reader(real: RealBroker, *topics: str, **kwargs: object) -> PulsarReader:
    return PulsarReader(real.url, topics, capabilities=real.capabilities, **kwargs)  # type: ignore[arg-type]


async def follow_n(reader: PulsarReader, count: int, timeout: float = 20) -> list[ReadMessage]:
    got: list[ReadMessage] = []
    async with asyncio.timeout(timeout):
        async for message in reader.follow():
            got.append(message)
            if len(got) == count:
                break
    return got


class ReaderCases:
    @pytest.fixture
    def real(self) -> RealBroker:
        raise NotImplementedError("a test class provides the broker under test")

    async def test_read_all_reads_every_message_in_order_with_key_and_properties(
        self, real: RealBroker, topic: str
    ) -> None:
        broker = make_broker(real)
        async with running(broker):
            for n in range(20):
                body, key = f"m{n}".encode(), f"k{n % 3}"
                await broker.publish(body, topic, key=key, headers={"n": str(n)})

        async with reader(real, topic) as r:
            messages = await r.read_all()
            assert await r.read_all() == [], "read_all() goes on from where it stopped"

        assert [m.payload for m in messages] == [f"m{n}".encode() for n in range(20)]
        assert [m.properties["n"] for m in messages] == [str(n) for n in range(20)]
        assert [m.key for m in messages] == [f"k{n % 3}" for n in range(20)]
        assert {m.topic for m in messages} == {topic}

    async def test_read_all_of_a_topic_with_no_messages_is_empty(
        self, real: RealBroker, topic: str
    ) -> None:
        async with reader(real, topic) as r:
            assert await r.read_all() == []

    async def test_a_reader_from_latest_reads_only_what_is_published_after_it_opened(
        self, real: RealBroker, topic: str
    ) -> None:
        await raw_publish(real.url, topic, b"before")
        async with reader(real, topic, start=InitialPosition.LATEST) as r:
            assert await r.read_all() == []
            await raw_publish(real.url, topic, b"after")
            [message] = await follow_n(r, 1)
        assert message.payload == b"after"

    async def test_follow_goes_on_from_the_backlog_and_merges_topics_live(
        self, real: RealBroker, topic: str
    ) -> None:
        other = f"{topic}-other"
        await raw_publish(real.url, topic, b"old-1", b"old-2")
        async with reader(real, topic, other) as r:
            backlog = await r.read_all()
            await raw_publish(real.url, topic, b"new-1")
            await raw_publish(real.url, other, b"new-2")
            await raw_publish(real.url, topic, b"new-3")
            live = await follow_n(r, 3)

        assert [m.payload for m in backlog] == [b"old-1", b"old-2"]
        assert sorted(m.payload for m in live) == [b"new-1", b"new-2", b"new-3"]
        assert [m.payload for m in live if m.topic == topic] == [b"new-1", b"new-3"]
        assert [m.topic for m in live if m.payload == b"new-2"] == [other]

    async def test_follow_interrupted_by_timeouts_loses_no_message(
        self, real: RealBroker, topic: str
    ) -> None:
        async with reader(real, topic) as r:
            received = []
            for n in range(10):
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        async for message in r.follow():
                            pytest.fail(f"nothing was published yet, got {message.payload!r}")
                await raw_publish(real.url, topic, f"m{n}".encode())
                [message] = await follow_n(r, 1)
                received.append(message.payload)
        assert received == [f"m{n}".encode() for n in range(10)]

    async def test_follow_ends_when_stop_is_set_and_the_reader_closes_cleanly(
        self, real: RealBroker, topic: str
    ) -> None:
        stop = asyncio.Event()
        got: list[bytes] = []
        async with reader(real, topic, start=InitialPosition.LATEST) as r:

            async def watch() -> None:
                async for message in r.follow(stop=stop):
                    got.append(message.payload)

            watching = asyncio.create_task(watch())
            await raw_publish(real.url, topic, b"seen")
            async with asyncio.timeout(20):
                while not got:
                    await asyncio.sleep(0.01)
            stop.set()
            await asyncio.wait_for(watching, 5)
        assert got == [b"seen"]

    async def test_a_reader_on_no_broker_fails_fast_with_a_one_line_error(self) -> None:
        url = f"pulsar://127.0.0.1:{free_port()}"
        started = time.monotonic()
        with pytest.raises(BrokerUnavailableError, match=url) as failed:
            async with PulsarReader(url, "persistent://public/default/x", connect_timeout=1):
                pass
        assert time.monotonic() - started < 15
        assert "\n" not in str(failed.value)
        assert "ALPES_PULSAR_URL" in str(failed.value)
