"""Riding out outages: retry an operation while its failure is transient, with backoff.

A database restart must not turn into dead-lettered commands: redelivery alone (a few
negative acks a second apart) would spend a message's attempts in seconds. So the
handler itself waits, with exponential backoff, up to a time budget; the message stays
unacknowledged meanwhile and the worker takes no new ones past its concurrency.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("alpes.retry")

DEFAULT_BUDGET = 120.0


async def retry_transient(
    operation: Callable[[], Awaitable[T]],
    is_transient: Callable[[BaseException], bool],
    *,
    what: str,
    budget: float = DEFAULT_BUDGET,
    first_delay: float = 0.1,
    max_delay: float = 5.0,
) -> T:
    async def run(_: Sequence[None]) -> list[T | BaseException]:
        try:
            return [await operation()]
        except Exception as error:
            return [error]

    [result] = await retry_transient_each(
        run,
        [None],
        is_transient,
        what=what,
        budget=budget,
        first_delay=first_delay,
        max_delay=max_delay,
    )
    if isinstance(result, BaseException):
        raise result
    return result


async def retry_transient_each(
    operation: Callable[[Sequence[T]], Awaitable[list[R | BaseException]]],
    items: Sequence[T],
    is_transient: Callable[[BaseException], bool],
    *,
    what: str,
    budget: float = DEFAULT_BUDGET,
    first_delay: float = 0.1,
    max_delay: float = 5.0,
) -> list[R | BaseException]:
    """``operation`` gives one result or exception per item; the items whose failure is
    transient are tried again, together, until they succeed or the budget is spent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    delay = first_delay
    results = await operation(items)
    while True:
        again = [i for i, r in enumerate(results) if isinstance(r, Exception) and is_transient(r)]
        if not again or loop.time() + delay > deadline:
            return results
        log.warning("%s: %s; retrying %d in %.1fs", what, results[again[0]], len(again), delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)
        for i, result in zip(again, await operation([items[i] for i in again]), strict=True):
            results[i] = result
