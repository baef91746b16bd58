import asyncio
import random
from collections import defaultdict

import pytest

from adapters.pulsar.dispatch import KeyOrderedDispatcher


async def test_items_with_the_same_key_run_in_submission_order() -> None:
    done: dict[str, list[int]] = defaultdict(list)

    async def handle(item: tuple[str, int]) -> None:
        await asyncio.sleep(random.random() / 500)
        done[item[0]].append(item[1])

    dispatcher: KeyOrderedDispatcher[tuple[str, int]] = KeyOrderedDispatcher(handle, 4)
    for n in range(200):
        key = f"k{n % 5}"
        await dispatcher.submit((key, n), key)
    while dispatcher.in_flight:
        await asyncio.sleep(0.001)
    assert sum(map(len, done.values())) == 200
    for numbers in done.values():
        assert numbers == sorted(numbers)


async def test_no_more_than_max_workers_run_at_once() -> None:
    active = peak = 0

    async def handle(item: int) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.001)
        active -= 1

    dispatcher: KeyOrderedDispatcher[int] = KeyOrderedDispatcher(handle, 3)
    for n in range(50):
        await dispatcher.submit(n, None if n % 2 else f"k{n % 7}")
    while dispatcher.in_flight:
        await asyncio.sleep(0.001)
    assert peak == 3


async def test_submit_waits_for_a_free_slot() -> None:
    release = asyncio.Event()

    async def handle(item: int) -> None:
        await release.wait()

    dispatcher: KeyOrderedDispatcher[int] = KeyOrderedDispatcher(handle, 2)
    await dispatcher.submit(1, "a")
    await dispatcher.submit(2, "b")
    third = asyncio.ensure_future(dispatcher.submit(3, "c"))
    await asyncio.sleep(0.01)
    assert not third.done()
    release.set()
    await asyncio.wait_for(third, 1)


async def test_cancel_releases_the_slots_of_queued_items() -> None:
    async def handle(item: int) -> None:
        await asyncio.sleep(10)

    dispatcher: KeyOrderedDispatcher[int] = KeyOrderedDispatcher(handle, 2)
    await dispatcher.submit(1, "a")
    await dispatcher.submit(2, "a")  # queued behind 1
    await dispatcher.cancel()
    assert dispatcher.in_flight == 0
    # Both slots are free again: two submits return at once.
    await asyncio.wait_for(dispatcher.submit(3, "x"), 0.5)
    await asyncio.wait_for(dispatcher.submit(4, "y"), 0.5)
    await dispatcher.cancel()


def test_max_workers_below_one_is_refused() -> None:
    async def handle(item: int) -> None: ...

    with pytest.raises(ValueError, match="max_workers must be >= 1, got 0"):
        KeyOrderedDispatcher(handle, 0)
