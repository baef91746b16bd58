"""Group commit: callers submit one item each and wait; items submitted while a batch is
being processed form the next batch. Batches grow with the load, and a lone item waits
at most ``max_wait``. Each caller gets its own item's result or exception."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

ProcessBatch = Callable[[list[T]], Awaitable[list[R | BaseException]]]


@dataclass
class _Waiting(Generic[T, R]):
    item: T
    future: "asyncio.Future[R]"


class GroupCommit(Generic[T, R]):
    def __init__(
        self, process: ProcessBatch[T, R], *, max_batch: int = 500, max_wait: float = 0.002
    ) -> None:
        self._process = process
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._pending: list[_Waiting[T, R]] = []
        self._runner: asyncio.Task[None] | None = None
        self.batches = 0
        self.items = 0

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append(_Waiting(item, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await future

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)

    async def _run(self) -> None:
        while self._pending:
            if len(self._pending) < self._max_batch:
                await asyncio.sleep(self._max_wait)  # let a few more arrive
            batch = self._pending[: self._max_batch]
            del self._pending[: len(batch)]
            batch = [w for w in batch if not w.future.done()]  # callers gone
            if batch:
                await self._settle(batch)

    async def _settle(self, batch: list[_Waiting[T, R]]) -> None:
        try:
            results = await self._process([w.item for w in batch])
        except Exception as error:  # the whole batch failed (e.g. the database is down)
            results = [error] * len(batch)
        self.batches += 1
        self.items += len(batch)
        for waiting, result in zip(batch, results, strict=True):
            if waiting.future.done():
                continue
            if isinstance(result, BaseException):
                waiting.future.set_exception(result)
            else:
                waiting.future.set_result(result)
