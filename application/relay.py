"""The outbox relay: publishes committed outbox rows to their topics, in order per campaign.

One relay holds the lease at a time (others wait as hot standbys). It reads pending rows
in commit order and sends them in rounds: the first pending row of every campaign and
contract version, all in flight at once, then (once the broker has confirmed those) the
second row of each, and so on. So a campaign's events of one version go out one after
another, each confirmed before the next, even across v1's topics; a campaign whose send
failed sends nothing more of that version in this batch. Then the rows sent are marked
published. A crash between a send and the mark sends those rows again: events carry a
stable ``event_id`` so consumers drop the repeat.
"""

import asyncio
import logging
import uuid
from collections.abc import Sequence

from contracts.properties import SCHEMA_VERSION

from .ports import EventPublisher, OutboxStore
from .records import PendingMessage

log = logging.getLogger("alpes.relay")

LEASE = "outbox-relay"


class OutboxRelay:
    def __init__(
        self,
        store: OutboxStore,
        publisher: EventPublisher,
        *,
        batch_size: int = 500,
        idle_interval: float = 0.01,
        max_idle_interval: float = 0.05,
        lease_ttl: float = 10.0,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._batch_size = batch_size
        self._idle_interval = idle_interval
        self._max_idle_interval = max(max_idle_interval, idle_interval)
        self._lease_ttl = lease_ttl
        self.owner = f"relay-{uuid.uuid4().hex[:12]}"
        self.published = 0

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.1
        loop = asyncio.get_running_loop()
        renew_at = 0.0  # the lease is renewed every third of its TTL, not every cycle
        # An empty outbox is polled every 10 ms at first, then less often, up to every
        # 50 ms: an idle relay made 100 queries a second (a tenth of a core on SQLite);
        # any row found brings the 10 ms back, so a busy outbox is never read slower.
        idle = self._idle_interval
        while not stop.is_set():
            try:
                if loop.time() >= renew_at:
                    if not await self._store.hold_lease(LEASE, self.owner, self._lease_ttl):
                        await _wait(stop, self._lease_ttl / 3)
                        continue
                    renew_at = loop.time() + self._lease_ttl / 3
                sent = await self.relay_once()
                backoff = 0.1
                if sent == 0:
                    await _wait(stop, idle)
                    idle = min(idle * 2, self._max_idle_interval)
                else:
                    idle = self._idle_interval
            except Exception as error:
                renew_at = 0.0  # after an outage, make sure the lease is still ours
                log.warning("relay: %s; retrying in %.1fs", error, backoff)
                await _wait(stop, backoff)
                backoff = min(backoff * 2, 5.0)

    async def relay_once(self) -> int:
        """Publish one batch of pending rows; returns how many were published."""
        pending = await self._store.fetch_pending(self._batch_size)
        if not pending:
            return 0
        sent: list[int] = []
        failed: dict[Stream, BaseException] = {}  # why a stream's round failed
        for round_ in _rounds(pending):
            rows = [row for row in round_ if _stream(row) not in failed]
            if not rows:
                break
            errors = await self._publisher.publish_events([row.message for row in rows])
            for row, error in zip(rows, errors, strict=True):
                if error is None:
                    sent.append(row.seq)
                else:
                    failed[_stream(row)] = error
        await self._store.mark_published(sent)
        self.published += len(sent)
        if failed:
            raise next(iter(failed.values()))
        return len(sent)


Stream = tuple[str, str | None]


def _stream(row: PendingMessage) -> Stream:
    """What must go out in order: a campaign's messages of one contract version."""
    return row.message.key, row.message.properties.get(SCHEMA_VERSION)


def _rounds(pending: Sequence[PendingMessage]) -> list[list[PendingMessage]]:
    """Round k holds the k-th pending row of each stream, in commit order."""
    rounds: list[list[PendingMessage]] = []
    seen: dict[Stream, int] = {}
    for row in pending:
        stream = _stream(row)
        k = seen.get(stream, 0)
        seen[stream] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(row)
    return rounds


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
