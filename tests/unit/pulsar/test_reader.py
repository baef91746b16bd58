"""PulsarReader's bookkeeping on fakes of pulsar-client: no pending read is ever
cancelled, close settles what is pending, the client gets the security options."""

import asyncio
import contextlib
from typing import Any

import pulsar
import pulsar.asyncio
import pytest

from adapters.pulsar import PULSAR_LITE, PulsarReader, PulsarSecurity
from adapters.pulsar.fakes import FakeMessage

TOPIC = "persistent://public/default/events"


class FakeReader:
    """Mimics pulsar.asyncio.Reader: a message goes to the oldest registered read, and
    is lost if that read was cancelled (the C++ callback does not know)."""

    def __init__(self, backlog: list[bytes], empty_fails: bool = False) -> None:
        self.backlog = [FakeMessage(b, {}, TOPIC) for b in backlog]
        self.empty_fails = empty_fails
        self.waiters: list[asyncio.Future[Any]] = []
        self.lost: list[bytes] = []
        self.closed = False

    async def has_message_available(self) -> bool:
        if self.empty_fails and not self.backlog:
            raise pulsar.asyncio.PulsarException(pulsar.Result.UnknownError)
        return bool(self.backlog)

    async def read_next(self) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiters.append(future)
        if self.backlog:
            self.deliver_next()
        return await future

    def deliver_next(self) -> None:
        message, future = self.backlog.pop(0), self.waiters.pop(0)
        if future.done():
            self.lost.append(message.payload)
        else:
            future.set_result(message)

    def publish(self, payload: bytes) -> None:
        self.backlog.append(FakeMessage(payload, {}, TOPIC))
        if self.waiters:
            self.deliver_next()

    async def close(self) -> None:
        self.closed = True
        for future in self.waiters:
            if not future.done():
                future.set_exception(pulsar.asyncio.PulsarException(pulsar.Result.AlreadyClosed))


class FakeClient:
    def __init__(self) -> None:
        self.options: dict[str, Any] = {}
        self.readers: dict[str, FakeReader] = {}
        self.closed = False

    async def get_topic_partitions(self, topic: str) -> list[str]:
        return [topic]

    async def create_reader(self, topic: str, start: Any, **options: Any) -> FakeReader:
        return self.readers.setdefault(topic, FakeReader([]))

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> FakeClient:
    """The client every PulsarReader of the test gets."""
    fake = FakeClient()

    def make(url: str, **options: Any) -> FakeClient:
        fake.options = options
        return fake

    monkeypatch.setattr(pulsar.asyncio, "Client", make)
    return fake


async def test_interrupted_follows_leave_one_read_pending_and_the_next_message_arrives(
    client: FakeClient,
) -> None:
    async with PulsarReader("pulsar://fake:6650", TOPIC) as reader:
        fake = client.readers[TOPIC]
        for _ in range(5):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.01):
                    async for _message in reader.follow():
                        pytest.fail("nothing was published")
        assert len(fake.waiters) == 1, "each interrupted follow() started a new read"
        fake.publish(b"m1")
        async for message in reader.follow():
            assert message.payload == b"m1"
            break
    assert fake.lost == []


async def test_a_cancelled_follower_loses_nothing_to_the_next_one(client: FakeClient) -> None:
    async with PulsarReader("pulsar://fake:6650", TOPIC) as reader:

        async def first() -> None:
            async for _message in reader.follow():
                pytest.fail("nothing was published yet")

        task = asyncio.create_task(first())
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        client.readers[TOPIC].publish(b"m2")
        async for message in reader.follow():
            assert message.payload == b"m2"
            break


async def test_close_settles_the_pending_read_and_closes_the_client(client: FakeClient) -> None:
    reader = PulsarReader("pulsar://fake:6650", TOPIC)
    await reader.open()
    fake = client.readers[TOPIC]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(0.01):
            async for _message in reader.follow():
                pass
    await reader.close()
    assert fake.closed and client.closed
    assert all(w.done() for w in fake.waiters)
    with pytest.raises(RuntimeError, match="not open"):
        await reader.read_all()


async def test_read_all_after_follow_started_says_to_call_it_first(client: FakeClient) -> None:
    async with PulsarReader("pulsar://fake:6650", TOPIC) as reader:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.01):
                async for _message in reader.follow():
                    pass
        with pytest.raises(RuntimeError, match=r"call read_all\(\) before follow\(\)"):
            await reader.read_all()


async def test_pulsar_lites_error_on_an_empty_topic_means_empty_only_there(
    client: FakeClient,
) -> None:
    client.readers[TOPIC] = FakeReader([], empty_fails=True)
    async with PulsarReader("pulsar://fake:6650", TOPIC, capabilities=PULSAR_LITE) as reader:
        assert await reader.read_all() == []
    async with PulsarReader("pulsar://fake:6650", TOPIC) as reader:
        with pytest.raises(pulsar.asyncio.PulsarException):
            await reader.read_all()


async def test_the_client_gets_the_token_and_tls_options(client: FakeClient) -> None:
    security = PulsarSecurity(token="t0ken", tls_trust_certs_file_path="/etc/ca.pem")
    async with PulsarReader(
        "pulsar+ssl://pulsar.internal:6651", TOPIC, security=security, connect_timeout=3
    ):
        pass
    options = client.options
    assert isinstance(options["authentication"], pulsar.AuthenticationToken)
    assert options["use_tls"] is True
    assert options["tls_trust_certs_file_path"] == "/etc/ca.pem"
    assert options["operation_timeout_seconds"] == 3


def test_a_wrong_url_or_no_topic_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="must start with pulsar://"):
        PulsarReader("http://localhost:8080", TOPIC)
    with pytest.raises(ValueError, match="at least one non-empty topic"):
        PulsarReader("pulsar://localhost:6650", [])
