"""retry_transient_each: transient failures are retried together, with backoff, within
a budget; everything else is returned as it came."""

import asyncio
from collections.abc import Sequence

import pytest

from application.retry import retry_transient, retry_transient_each


class Transient(Exception):
    pass


class Permanent(Exception):
    pass


def is_transient(error: BaseException) -> bool:
    return isinstance(error, Transient)


class Flaky:
    """An operation whose items fail transiently a given number of times, or for good."""

    def __init__(self, transient_failures: dict[str, int], permanent: Sequence[str] = ()) -> None:
        self.left = dict(transient_failures)
        self.permanent = set(permanent)
        self.calls: list[list[str]] = []

    async def __call__(self, items: Sequence[str]) -> list[str | BaseException]:
        self.calls.append(list(items))
        results: list[str | BaseException] = []
        for item in items:
            if item in self.permanent:
                results.append(Permanent(item))
            elif self.left.get(item, 0) > 0:
                self.left[item] -= 1
                results.append(Transient(f"{item} #{len(self.calls)}"))
            else:
                results.append(f"done {item}")
        return results


async def test_only_the_transient_failures_are_retried_together() -> None:
    operation = Flaky({"b": 1, "c": 2}, permanent=["d"])
    results = await retry_transient_each(
        operation, ["a", "b", "c", "d"], is_transient, what="test", first_delay=0.001, budget=2
    )
    assert operation.calls == [["a", "b", "c", "d"], ["b", "c"], ["c"]]
    assert results[:3] == ["done a", "done b", "done c"]
    assert isinstance(results[3], Permanent)


async def test_a_non_transient_failure_is_returned_at_once() -> None:
    operation = Flaky({}, permanent=["a"])
    async with asyncio.timeout(1):  # a retry would first wait first_delay (30 s)
        [result] = await retry_transient_each(
            operation, ["a"], is_transient, what="test", first_delay=30, budget=60
        )
    assert isinstance(result, Permanent)
    assert operation.calls == [["a"]]


async def test_the_budget_ends_the_retries_with_the_last_exception() -> None:
    operation = Flaky({"a": 1000, "b": 1})
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(2):
        results = await retry_transient_each(
            operation,
            ["a", "b"],
            is_transient,
            what="test",
            budget=0.2,
            first_delay=0.01,
            max_delay=0.04,
        )
    took = loop.time() - started
    assert results[1] == "done b"
    last = results[0]
    assert isinstance(last, Transient)
    assert str(last) == f"a #{len(operation.calls)}", "not the last attempt's exception"
    assert len(operation.calls) >= 3
    assert took < 0.2 + 0.1, "retried past the budget"
    # Backoff: 0.01, 0.02, 0.04, 0.04, ... so within 0.2 s at most 7 attempts.
    assert len(operation.calls) <= 7


async def test_retry_transient_returns_once_a_transient_failure_clears() -> None:
    attempts = 0

    async def operation() -> str:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise Transient("database restarting")
        return "ok"

    assert await retry_transient(operation, is_transient, what="test", first_delay=0.001) == "ok"
    assert attempts == 3


async def test_retry_transient_raises_a_non_transient_failure_at_once() -> None:
    attempts = 0

    async def operation() -> str:
        nonlocal attempts
        attempts += 1
        raise Permanent("bad input")

    with pytest.raises(Permanent, match="bad input"):
        async with asyncio.timeout(1):  # a retry would first wait first_delay (30 s)
            await retry_transient(operation, is_transient, what="test", first_delay=30)
    assert attempts == 1
