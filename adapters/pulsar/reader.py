"""Reading topics from a position, with no subscription: replays and live views.

A Pulsar reader keeps no subscription and acknowledges nothing, so reading changes
nothing for the consumers of the topic. ``PulsarReader`` opens one reader per
partition of each topic (a non-partitioned topic is its own single partition), from
the first message kept or from now on, and offers two ways to read:

* ``read_all()``: everything there is now, until the end (a rebuild, an audit);
* ``follow()``: the messages as they arrive, merged across partitions and topics (a
  live view), for as long as the caller wants them.

pulsar-client loses the next message when a pending ``read_next()`` is cancelled (the
C++ callback delivers it into the dead future). So no read is ever cancelled here: one
read per partition stays pending across ``follow()`` calls, timeouts and cancellations
of the caller, and ``close()`` settles them after closing the readers.
"""

import asyncio
import contextlib
import heapq
import logging
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import pulsar
import pulsar.asyncio

from .capabilities import APACHE_PULSAR, BrokerCapabilities
from .delivery import RawMessage
from .errors import AccessDeniedError, TopicNotFoundError
from .handshake import connect_failure
from .options import InitialPosition
from .security import PulsarSecurity

__all__ = ("PulsarReader", "ReadMessage")

_LOG = logging.getLogger("pulsar.client")
_CLOSE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class ReadMessage:
    """A message read from a topic."""

    topic: str  # the topic as given to the reader (for a partitioned one, not the partition)
    partition: str  # the topic or partition it was read from
    message: RawMessage  # pulsar-client's message

    @property
    def payload(self) -> bytes:
        return self.message.data()

    @property
    def properties(self) -> dict[str, str]:
        return dict(self.message.properties())

    @property
    def key(self) -> str | None:
        return self.message.partition_key() or None

    @property
    def published_at(self) -> datetime:
        return datetime.fromtimestamp(self.message.publish_timestamp() / 1000, UTC)


@dataclass(slots=True)
class _Partition:
    topic: str
    name: str
    reader: pulsar.asyncio.Reader
    pending: "asyncio.Future[Any] | None" = field(default=None)

    def read(self) -> "asyncio.Future[Any]":
        """The pending read, started if there is none."""
        if self.pending is None:
            self.pending = asyncio.ensure_future(self.reader.read_next())
        return self.pending


class PulsarReader:
    """Reads ``topics`` from ``start`` (the first message kept, or what comes after the
    readers are open), every partition of a partitioned topic.

    Usage::

        async with PulsarReader(url, topic, security=security) as reader:
            backlog = await reader.read_all()
            async for message in reader.follow(stop=stop):  # what comes next, live
                ...

    Once the context is entered the readers are in place: from then on nothing
    published is missed. ``capabilities`` names the broker (pulsar-lite answers
    "is there a message?" on an empty topic with an error, which means no).
    """

    def __init__(
        self,
        url: str,
        topics: str | Sequence[str],
        *,
        start: InitialPosition = InitialPosition.EARLIEST,
        security: PulsarSecurity | None = None,
        capabilities: BrokerCapabilities = APACHE_PULSAR,
        connect_timeout: float = 10.0,
        receiver_queue_size: int = 1000,
    ) -> None:
        if not url.startswith(("pulsar://", "pulsar+ssl://")):
            msg = f"Pulsar URL must start with pulsar:// or pulsar+ssl://, got {url!r}"
            raise ValueError(msg)
        self.topics = (topics,) if isinstance(topics, str) else tuple(topics)
        if not self.topics or not all(self.topics):
            msg = f"A reader needs at least one non-empty topic, got {list(self.topics)!r}"
            raise ValueError(msg)
        self.url = url
        self.start = InitialPosition(start)
        self._security = security or PulsarSecurity()
        self._capabilities = capabilities
        self._connect_timeout = connect_timeout
        self._receiver_queue_size = receiver_queue_size
        self._client: pulsar.asyncio.Client | None = None
        self._partitions: list[_Partition] = []
        self._arrived: deque[ReadMessage] = deque()  # read, not yet handed out
        self._closed = False

    async def __aenter__(self) -> "PulsarReader":
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def partitions(self) -> list[str]:
        """What is being read: each topic, or each partition of a partitioned one."""
        return [p.name for p in self._partitions]

    async def open(self) -> None:
        """Open one reader per partition. Raises BrokerUnavailableError (or
        ConnectionRefusedByBrokerError) when the broker cannot be reached,
        AccessDeniedError when it refuses this role the topic, and TopicNotFoundError
        when there is no such topic."""
        if self._client is not None:
            return
        self._closed = False
        self._client = pulsar.asyncio.Client(
            self.url,
            logger=_LOG,
            operation_timeout_seconds=max(1, int(self._connect_timeout)),
            connection_timeout_ms=int(self._connect_timeout * 1000),
            **self._security.client_kwargs(self.url),
        )
        try:
            await self._open_readers(self._client)
        except BaseException:
            await self.close()
            raise

    async def _open_readers(self, client: pulsar.asyncio.Client) -> None:
        start = (
            pulsar.MessageId.earliest
            if self.start is InitialPosition.EARLIEST
            else pulsar.MessageId.latest
        )
        for topic in self.topics:
            try:
                # The first lookup is also the first round trip: a broker that does not
                # answer fails here, within the connect timeout.
                names = await asyncio.wait_for(
                    client.get_topic_partitions(topic), timeout=self._connect_timeout
                )
                for name in names:
                    reader = await client.create_reader(
                        name, start, receiver_queue_size=self._receiver_queue_size
                    )
                    self._partitions.append(_Partition(topic, name, reader))
            except pulsar.asyncio.PulsarException as error:
                if error.error() == pulsar.Result.AuthorizationError:
                    raise AccessDeniedError("read", topic, self._security.role, error) from error
                if error.error() == pulsar.Result.TopicNotFound:
                    raise TopicNotFoundError(self.url, topic, error) from error
                raise await self._unreachable(error) from error
            except TimeoutError as error:
                raise await self._unreachable(error) from error

    async def _unreachable(self, error: BaseException) -> Exception:
        return await connect_failure(self.url, self._security, self._connect_timeout, error)

    async def read_all(self) -> list[ReadMessage]:
        """Every message from the readers' position to the end of each partition as it
        is now, in order within each partition, partitions merged by publish time.

        Call it before ``follow()`` (which then goes on from where it stopped)."""
        parts = self._open_partitions()
        if self._arrived or any(p.pending is not None for p in parts):
            msg = (
                "read_all() reads up to the end of the topic, but follow() has already "
                "started reading past it: call read_all() before follow()."
            )
            raise RuntimeError(msg)
        read = [await self._read_to_end(p) for p in parts]
        return list(heapq.merge(*read, key=lambda m: m.message.publish_timestamp()))

    async def _read_to_end(self, partition: _Partition) -> list[ReadMessage]:
        messages: list[ReadMessage] = []
        # A read is started only when a message is known to be there, and is awaited
        # without being cancelled: a caller cancelled meanwhile leaves it pending, and
        # follow() hands its message out.
        while await self._has_message(partition):
            read = partition.read()
            await asyncio.wait({read})
            partition.pending = None
            messages.append(ReadMessage(partition.topic, partition.name, read.result()))
        return messages

    async def _has_message(self, partition: _Partition) -> bool:
        try:
            available: bool = await partition.reader.has_message_available()
        except pulsar.asyncio.PulsarException as error:
            # pulsar-lite answers "Topic has no messages" (UnknownError) for an empty topic.
            if (
                self._capabilities.reader_fails_on_empty_topic
                and error.error() == pulsar.Result.UnknownError
            ):
                return False
            raise
        return available

    async def follow(self, stop: asyncio.Event | None = None) -> AsyncIterator[ReadMessage]:
        """The messages as they arrive, until ``stop`` is set or the reader is closed.

        Each partition's messages come in order; messages of several partitions or
        topics that arrive together come in publish-time order. Leaving the loop, a
        timeout or a cancellation loses nothing: a later ``follow()`` goes on with
        the next message."""
        parts = self._open_partitions()
        stopped = asyncio.ensure_future(stop.wait()) if stop is not None else None
        try:
            while not self._closed and not (stop is not None and stop.is_set()):
                if self._arrived:
                    yield self._arrived.popleft()
                    continue
                waiting: set[asyncio.Future[Any]] = {p.read() for p in parts}
                if stopped is not None:
                    waiting.add(stopped)
                # asyncio.wait cancels none of the reads, whatever happens to the caller.
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                self._collect(parts)
        finally:
            if stopped is not None:
                stopped.cancel()

    def _collect(self, parts: list[_Partition]) -> None:
        """Move the finished reads to the arrived messages; raise the first failure
        (after keeping every message read), unless the reader was closed meanwhile."""
        arrived: list[ReadMessage] = []
        failure: BaseException | None = None
        for partition in parts:
            read = partition.pending
            if read is None or not read.done():
                continue
            partition.pending = None
            if (error := read.exception()) is not None:
                failure = failure or error
            else:
                arrived.append(ReadMessage(partition.topic, partition.name, read.result()))
        arrived.sort(key=lambda m: m.message.publish_timestamp())
        self._arrived.extend(arrived)
        if failure is not None and not self._closed:
            raise failure

    def _open_partitions(self) -> list[_Partition]:
        if self._client is None or self._closed:
            msg = "The reader is not open: use `async with PulsarReader(...)` or call open()."
            raise RuntimeError(msg)
        return self._partitions

    async def close(self) -> None:
        """Close the readers and the client; a follow() in progress ends."""
        self._closed = True
        partitions, self._partitions = self._partitions, []
        for partition in partitions:
            with contextlib.suppress(Exception):
                await partition.reader.close()
        pending = [p.pending for p in partitions if p.pending is not None]
        if pending:
            # Closing fails the pending reads; collect them so no error goes unretrieved.
            await asyncio.wait(pending, timeout=_CLOSE_TIMEOUT)
            for read in pending:
                if read.done() and not read.cancelled():
                    read.exception()
                elif not read.done():
                    read.cancel()  # the reader is closed: nothing is left to lose
        self._arrived.clear()
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.close()
            except pulsar.asyncio.PulsarException:
                await asyncio.to_thread(client.shutdown)
