"""GroupCommit: items of concurrent callers share a batch; each caller gets its own."""

import asyncio
from collections.abc import Sequence

import pytest

from application.group_commit import GroupCommit
from tests.support.waiting import eventually


class Recorder:
    """A batch processor that records each batch and answers ``r<item>`` per item,
    or the exception ``fail`` maps the item to."""

    def __init__(self, fail: dict[int, BaseException] | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail or {}

    async def __call__(self, items: list[int]) -> list[str | BaseException]:
        self.batches.append(list(items))
        return [self.fail.get(item, f"r{item}") for item in items]


async def submit_together(
    group: GroupCommit[int, str], *callers: Sequence[int]
) -> list[list[str | BaseException]]:
    return await asyncio.gather(*(group.submit_many(items) for items in callers))


async def test_two_callers_share_a_batch_in_order_and_each_gets_its_own_results() -> None:
    process = Recorder()
    group: GroupCommit[int, str] = GroupCommit(process, max_wait=0.01)
    first, second = await submit_together(group, [1, 2, 3], [4, 5])
    assert process.batches == [[1, 2, 3, 4, 5]]
    assert first == ["r1", "r2", "r3"]
    assert second == ["r4", "r5"]
    assert (group.batches, group.items) == (1, 5)


async def test_a_callers_items_stay_together_in_one_batch() -> None:
    process = Recorder()
    group: GroupCommit[int, str] = GroupCommit(process, max_batch=4, max_wait=0.01)
    first, second, third = await submit_together(group, [1, 2, 3], [4, 5], [6, 7, 8, 9, 10])
    # 3 + 2 would exceed max_batch: the second caller's items wait, whole, for the next
    # batch; a caller with more than max_batch items gets a batch of its own.
    assert process.batches == [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]]
    assert first == ["r1", "r2", "r3"]
    assert second == ["r4", "r5"]
    assert third == [f"r{n}" for n in range(6, 11)]


async def test_an_exception_for_one_item_reaches_only_its_caller() -> None:
    boom = KeyError("sku-2")
    process = Recorder(fail={2: boom})
    group: GroupCommit[int, str] = GroupCommit(process, max_wait=0.01)
    first, second = await submit_together(group, [1, 2, 3], [4, 5])
    assert process.batches == [[1, 2, 3, 4, 5]]
    assert first == ["r1", boom, "r3"]
    assert second == ["r4", "r5"]


async def test_submit_raises_its_own_items_exception_and_returns_the_others() -> None:
    boom = KeyError("sku-2")
    group: GroupCommit[int, str] = GroupCommit(Recorder(fail={2: boom}), max_wait=0.01)
    results = await asyncio.gather(group.submit(1), group.submit(2), return_exceptions=True)
    assert list(results) == ["r1", boom]


async def test_a_whole_batch_failure_reaches_every_item_of_every_caller() -> None:
    down = ConnectionError("database down")
    batches: list[list[int]] = []

    async def process(items: list[int]) -> list[str | BaseException]:
        batches.append(items)
        raise down

    group: GroupCommit[int, str] = GroupCommit(process, max_wait=0.01)
    first, second = await submit_together(group, [1, 2], [3])
    assert batches == [[1, 2, 3]]
    assert first == [down, down]
    assert second == [down]
    with pytest.raises(ConnectionError, match="database down"):
        await group.submit(4)


async def test_a_batch_submitted_while_one_is_processed_forms_the_next() -> None:
    release = asyncio.Event()
    batches: list[list[int]] = []

    async def process(items: list[int]) -> list[str | BaseException]:
        batches.append(items)
        await release.wait()
        return [f"r{item}" for item in items]

    group: GroupCommit[int, str] = GroupCommit(process, max_wait=0.001)
    first = asyncio.ensure_future(group.submit_many([1]))
    await eventually(lambda: bool(batches), timeout=1)
    later = asyncio.gather(group.submit_many([2, 3]), group.submit_many([4]))
    for _ in range(3):
        await asyncio.sleep(0)  # both callers submit while the first batch is processed
    release.set()
    assert await first == ["r1"]
    assert list(await later) == [["r2", "r3"], ["r4"]]
    assert batches == [[1], [2, 3, 4]]


async def test_a_processor_answering_the_wrong_number_of_results_fails_every_caller() -> None:
    async def short(items: list[int]) -> list[str | BaseException]:
        return ["only one"]

    group: GroupCommit[int, str] = GroupCommit(short, max_wait=0.01)
    first, second = await submit_together(group, [1, 2], [3])
    for result in (*first, *second):
        assert isinstance(result, RuntimeError)
        assert "1 results for a batch of 3 items" in str(result)
