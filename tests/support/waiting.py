import asyncio
from collections.abc import Callable


async def eventually(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until ``predicate()`` holds; fail with a clear message after ``timeout``."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def take(queue: "asyncio.Queue[object]", count: int, timeout: float = 20.0) -> list[object]:
    items: list[object] = []
    async with asyncio.timeout(timeout):
        while len(items) < count:
            items.append(await queue.get())
    return items
