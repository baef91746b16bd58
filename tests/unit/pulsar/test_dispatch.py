import asyncio
import random
from collections import defaultdict

import pytest

from adapters.pulsar.dispatch import KeyOrderedDispatcher, KeySetDispatcher
from tests.support.waiting import eventually


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


class Gated:
    """A handler whose calls each wait for their item's release; records start and end."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.cancelled: list[str] = []
        self._gates: dict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def __call__(self, item: str) -> None:
        self.started.append(item)
        try:
            await self._gates[item].wait()
        except asyncio.CancelledError:
            self.cancelled.append(item)
            raise
        self.finished.append(item)

    def release(self, item: str) -> None:
        self._gates[item].set()


async def settle() -> None:
    """Let every task that can run now run."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_batch_sharing_a_key_with_a_running_one_waits_for_it() -> None:
    handle = Gated()
    dispatcher: KeySetDispatcher[str] = KeySetDispatcher(handle, 4)
    await dispatcher.submit("first", {"a", "b"})
    second = asyncio.ensure_future(dispatcher.submit("second", {"b", "c"}))
    await settle()
    assert handle.started == ["first"]
    assert not second.done(), "submit returned before the batch it waits for finished"

    handle.release("first")
    await asyncio.wait_for(second, 1)
    await settle()
    assert handle.started == ["first", "second"]
    assert handle.finished == ["first"]
    handle.release("second")
    await eventually(lambda: dispatcher.in_flight == 0, timeout=1)


async def test_a_batch_waits_for_every_earlier_one_it_shares_a_key_with() -> None:
    handle = Gated()
    dispatcher: KeySetDispatcher[str] = KeySetDispatcher(handle, 4)
    await dispatcher.submit("a", {"a"})
    await dispatcher.submit("b", {"b"})
    both = asyncio.ensure_future(dispatcher.submit("ab", {"a", "b"}))
    handle.release("a")
    await settle()
    assert handle.started == ["a", "b"], "started while an earlier batch with key b ran"
    handle.release("b")
    await asyncio.wait_for(both, 1)
    await settle()
    assert handle.started == ["a", "b", "ab"]
    handle.release("ab")
    await eventually(lambda: dispatcher.in_flight == 0, timeout=1)


async def test_disjoint_batches_run_concurrently_up_to_max_workers() -> None:
    handle = Gated()
    dispatcher: KeySetDispatcher[str] = KeySetDispatcher(handle, 3)
    for n in range(3):
        await asyncio.wait_for(dispatcher.submit(f"b{n}", {f"k{n}"}), 1)
    await settle()
    assert handle.started == ["b0", "b1", "b2"]
    assert dispatcher.in_flight == 3

    fourth = asyncio.ensure_future(dispatcher.submit("b3", {"k3"}))
    await settle()
    assert not fourth.done(), "a fourth batch started with max_workers=3"
    assert handle.started == ["b0", "b1", "b2"]

    handle.release("b1")
    await asyncio.wait_for(fourth, 1)
    await settle()
    assert handle.started == ["b0", "b1", "b2", "b3"]
    for item in ("b0", "b2", "b3"):
        handle.release(item)
    await eventually(lambda: dispatcher.in_flight == 0, timeout=1)


async def test_batches_without_keys_run_concurrently() -> None:
    handle = Gated()
    dispatcher: KeySetDispatcher[str] = KeySetDispatcher(handle, 2)
    await dispatcher.submit("x", set())
    await asyncio.wait_for(dispatcher.submit("y", set()), 1)
    await settle()
    assert handle.started == ["x", "y"]
    await dispatcher.cancel()


async def test_key_set_cancel_stops_every_batch_and_frees_every_slot() -> None:
    handle = Gated()
    dispatcher: KeySetDispatcher[str] = KeySetDispatcher(handle, 2)
    await dispatcher.submit("a", {"k"})
    await settle()  # a is running
    await dispatcher.submit("b", {"other"})  # b is scheduled, not yet started
    await dispatcher.cancel()
    assert dispatcher.in_flight == 0
    assert handle.cancelled == ["a"]
    assert handle.started == ["a"]
    # Both slots are free again, and no key is held: two submits return at once.
    await asyncio.wait_for(dispatcher.submit("c", {"k"}), 0.5)
    await asyncio.wait_for(dispatcher.submit("d", {"other"}), 0.5)
    await settle()
    assert handle.started[-2:] == ["c", "d"]
    await dispatcher.cancel()


def test_key_set_dispatcher_refuses_max_workers_below_one() -> None:
    async def handle(item: int) -> None: ...

    with pytest.raises(ValueError, match="max_workers must be >= 1, got 0"):
        KeySetDispatcher(handle, 0)
