"""How often the relay reads an empty outbox, and how soon it sees a row after a pause."""

import asyncio
import time
from collections.abc import Sequence

from application.records import OutboxMessage, PendingMessage
from application.relay import OutboxRelay


class CountingOutbox:
    """An outbox in memory that counts its reads."""

    def __init__(self) -> None:
        self.reads = 0
        self.rows: list[PendingMessage] = []
        self.published: dict[int, float] = {}

    async def fetch_pending(self, limit: int) -> list[PendingMessage]:
        self.reads += 1
        return [r for r in self.rows if r.seq not in self.published][:limit]

    async def mark_published(self, seqs: Sequence[int]) -> None:
        for seq in seqs:
            self.published[seq] = time.monotonic()

    async def hold_lease(self, name: str, owner: str, ttl: float) -> bool:
        return True


class Accepting:
    async def publish_events(self, messages: Sequence[OutboxMessage]) -> list[BaseException | None]:
        return [None] * len(messages)


async def run_for(relay: OutboxRelay, seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await task


async def test_an_idle_relay_reads_the_outbox_at_most_every_50_ms_once_idle() -> None:
    store = CountingOutbox()
    await run_for(OutboxRelay(store, Accepting()), 1.0)
    # 10, 20, 40, then 50 ms apart: about 22 reads in a second (100 at a fixed 10 ms).
    assert 15 <= store.reads <= 30, store.reads


async def test_a_row_after_a_pause_is_published_within_the_longest_interval() -> None:
    store = CountingOutbox()
    relay = OutboxRelay(store, Accepting())
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(0.5)  # long idle: the interval is at its longest
    added = time.monotonic()
    message = OutboxMessage("e-1", "topic", "c-1", b"{}", {})
    store.rows.append(PendingMessage(1, message))
    while 1 not in store.published:
        await asyncio.sleep(0.001)
    stop.set()
    await task
    assert store.published[1] - added < 0.05 + 0.02  # the interval, and a scheduling slack
