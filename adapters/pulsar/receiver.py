"""A receive that can time out without losing a message.

Cancelling a pending ``await consumer.receive()`` leaves pulsar-client's callback
registered: the next message is delivered into the dead future and is lost until the
consumer closes. So the pending receive is kept alive across timeouts and handed to
the next caller instead of being cancelled.
"""

import asyncio
import contextlib
from typing import Any

import pulsar.asyncio


class Receiver:
    __slots__ = ("_consumer", "_pending")

    def __init__(self, consumer: pulsar.asyncio.Consumer) -> None:
        self._consumer = consumer
        self._pending: asyncio.Task[Any] | None = None

    @property
    def consumer(self) -> pulsar.asyncio.Consumer:
        return self._consumer

    async def receive(self, timeout: float | None = None) -> Any | None:
        """The next message, or None when ``timeout`` seconds pass without one."""
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._consumer.receive())
        # asyncio.wait neither cancels the pending task on timeout nor when the
        # caller itself is cancelled: the task outlives both.
        done, _ = await asyncio.wait({self._pending}, timeout=timeout)
        if not done:
            return None
        task, self._pending = self._pending, None
        return task.result()

    async def close(self) -> None:
        """Close the consumer; anything received but not acknowledged is redelivered."""
        with contextlib.suppress(Exception):
            await self._consumer.close()
        if self._pending is not None:
            # Closing fails the pending receive; collect it so no error goes unretrieved.
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._pending, timeout=5)
            self._pending = None
