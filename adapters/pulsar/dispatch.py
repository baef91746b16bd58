"""Bounded concurrency that keeps the order of messages sharing a key.

Messages with the same partition key are processed one after another, in the order
they were received; messages with different keys (or no key) run concurrently, at
most ``max_workers`` at a time. The receive loop waits for a free slot before it
takes the next message, so a slow handler slows intake instead of filling memory.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable
from collections.abc import Set as AbstractSet
from typing import Generic, TypeVar

T = TypeVar("T")


class KeyOrderedDispatcher(Generic[T]):
    __slots__ = ("_handle", "_max_workers", "_queues", "_slots", "_tasks")

    def __init__(self, handle: Callable[[T], Awaitable[object]], max_workers: int) -> None:
        self._handle = handle
        self._max_workers = max_workers
        self._slots = _slots(max_workers)
        self._queues: dict[Hashable, deque[T]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T, key: Hashable | None) -> None:
        """Queue ``item``; returns once a worker slot is reserved for it."""
        await self._slots.acquire()
        if key is None:
            self._spawn(self._run_one(item))
            return
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(item)  # the key's running task will take it in turn
            return
        self._queues[key] = deque((item,))
        self._spawn(self._run_key(key))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_one(self, item: T) -> None:
        try:
            await self._handle(item)
        finally:
            self._slots.release()

    async def _run_key(self, key: Hashable) -> None:
        queue = self._queues[key]
        try:
            while queue:
                item = queue[0]
                try:
                    await self._handle(item)
                finally:
                    queue.popleft()
                    self._slots.release()
        finally:
            # Reached on cancellation too: release the slots of items never run.
            for _ in queue:
                self._slots.release()
            self._queues.pop(key, None)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def cancel(self) -> None:
        """Cancel everything running or queued and start afresh with every slot free."""
        await _cancel_all(self._tasks)
        # A task cancelled before it first ran never reached its finally blocks.
        self._queues.clear()
        self._slots = _slots(self._max_workers)


class KeySetDispatcher(Generic[T]):
    """The same guarantee for items that carry several keys (batches): an item starts
    once every earlier item sharing a key with it has finished, and at most
    ``max_workers`` run at once. Items are started in the order submitted."""

    __slots__ = ("_handle", "_max_workers", "_running", "_slots")

    def __init__(self, handle: Callable[[T], Awaitable[object]], max_workers: int) -> None:
        self._handle = handle
        self._max_workers = max_workers
        self._slots = _slots(max_workers)
        self._running: dict[asyncio.Task[None], AbstractSet[Hashable]] = {}

    async def submit(self, item: T, keys: AbstractSet[Hashable]) -> None:
        """Returns once ``item`` is scheduled to run."""
        earlier = [task for task, held in self._running.items() if not keys.isdisjoint(held)]
        if earlier:
            await asyncio.wait(earlier)
        await self._slots.acquire()
        task: asyncio.Task[None] = asyncio.ensure_future(self._run(item))
        self._running[task] = keys
        task.add_done_callback(self._running.pop)

    async def _run(self, item: T) -> None:
        try:
            await self._handle(item)
        finally:
            self._slots.release()

    @property
    def in_flight(self) -> int:
        return len(self._running)

    async def cancel(self) -> None:
        """Cancel every running item and start afresh with every slot free."""
        await _cancel_all(self._running)
        self._slots = _slots(self._max_workers)


def _slots(max_workers: int) -> asyncio.Semaphore:
    if max_workers < 1:
        msg = f"max_workers must be >= 1, got {max_workers}"
        raise ValueError(msg)
    return asyncio.Semaphore(max_workers)


async def _cancel_all(tasks: Iterable["asyncio.Task[None]"]) -> None:
    pending = list(tasks)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
