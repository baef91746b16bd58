"""Group commit: callers submit items and wait; items submitted while a batch is being
processed form the next batch. Batches grow with the load, and a lone item waits at most
``max_wait``. Each caller gets its own items' results or exceptions."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

ProcessBatch = Callable[[list[T]], Awaitable[list[R | BaseException]]]


@dataclass
class _Waiting(Generic[T, R]):
    items: Sequence[T]
    future: "asyncio.Future[list[R | BaseException]]"


class GroupCommit(Generic[T, R]):
    def __init__(
        self, process: ProcessBatch[T, R], *, max_batch: int = 500, max_wait: float = 0.002
    ) -> None:
        self._process = process
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._pending: list[_Waiting[T, R]] = []
        self._pending_items = 0
        self._runner: asyncio.Task[None] | None = None
        self.batches = 0
        self.items = 0

    async def submit(self, item: T) -> R:
        [result] = await self.submit_many((item,))
        if isinstance(result, BaseException):
            raise result
        return result

    async def submit_many(self, items: Sequence[T]) -> list[R | BaseException]:
        """One result or exception per item, in order. A caller's items stay together
        and in order in one batch (which may then exceed ``max_batch``)."""
        future: asyncio.Future[list[R | BaseException]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Waiting(items, future))
        self._pending_items += len(items)
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await future

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)

    async def _run(self) -> None:
        while self._pending:
            if self._pending_items < self._max_batch:
                await asyncio.sleep(self._max_wait)  # let a few more arrive
            taken, size = 0, 0
            while taken < len(self._pending) and (
                taken == 0 or size + len(self._pending[taken].items) <= self._max_batch
            ):
                size += len(self._pending[taken].items)
                taken += 1
            batch = self._pending[:taken]
            del self._pending[:taken]
            self._pending_items -= size
            batch = [w for w in batch if not w.future.done()]  # callers gone
            if batch:
                await self._settle(batch)

    async def _settle(self, batch: list[_Waiting[T, R]]) -> None:
        items = [item for waiting in batch for item in waiting.items]
        try:
            results = await self._process(items)
            if len(results) != len(items):
                msg = f"{len(results)} results for a batch of {len(items)} items"
                raise RuntimeError(msg)
        except Exception as error:  # the whole batch failed (e.g. the database is down)
            results = [error] * len(items)
        self.batches += 1
        self.items += len(items)
        start = 0
        for waiting in batch:
            end = start + len(waiting.items)
            if not waiting.future.done():
                waiting.future.set_result(results[start:end])
            start = end
