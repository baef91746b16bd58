"""Riding out outages: retry an operation while its failure is transient, with backoff.

A database restart must not turn into dead-lettered commands: redelivery alone (a few
negative acks a second apart) would spend a message's attempts in seconds. So the
handler itself waits, with exponential backoff, up to a time budget; the message stays
unacknowledged meanwhile and the worker takes no new ones past its concurrency.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

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
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    delay = first_delay
    while True:
        try:
            return await operation()
        except Exception as error:
            if not is_transient(error) or loop.time() + delay > deadline:
                raise
            log.warning("%s: %s; retrying in %.1fs", what, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)
