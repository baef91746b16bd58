"""Bounded storage: published outbox rows and command-log rows older than their retention
are deleted in the background, oldest first, in small batches.

Small batches keep each delete a short transaction, so the command path never waits
behind a purge; one process at a time purges (a lease), though two would only repeat
work. Pending outbox rows are never touched, whatever their age: they are the events
not yet published. The projector's record of the event ids it applied goes with the
outbox's retention: an event redelivered after that is judged by its version alone
(older than the view: stale), as the projector does for any event. The command log is
what makes a command idempotent: a command redelivered (or redriven from a DLQ) after its
row is gone is applied again, so its retention must be longer than any redelivery or
redrive can take.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .ports import RetentionStore

log = logging.getLogger("alpes.retention")

LEASE = "retention"


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each kind of row is kept; a zero period keeps it for ever."""

    outbox: timedelta = timedelta(days=7)
    command_log: timedelta = timedelta(days=30)
    batch_size: int = 500
    interval: float = 60.0  # seconds between purges once caught up

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.interval <= 0:
            msg = f"batch_size must be >= 1 and interval > 0, got {self}"
            raise ValueError(msg)
        if self.outbox < timedelta(0) or self.command_log < timedelta(0):
            msg = f"retention periods must not be negative, got {self}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Purged:
    outbox: int = 0
    command_log: int = 0
    projected_events: int = 0


Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RetentionPurger:
    def __init__(
        self,
        store: RetentionStore,
        retention: Retention,
        *,
        clock: Clock = _utc_now,
        on_purged: Callable[[Purged], None] | None = None,
        lease_ttl: float = 120.0,
    ) -> None:
        self._store = store
        self._retention = retention
        self._clock = clock
        self._on_purged = on_purged
        self._lease_ttl = lease_ttl
        self.owner = f"retention-{uuid.uuid4().hex[:12]}"

    async def purge_once(self) -> Purged:
        """Delete everything past its retention now, batch by batch."""
        now, r = self._clock(), self._retention
        outbox = command_log = projected = 0
        if r.outbox:
            outbox = await self._drain(self._store.delete_published_before, now - r.outbox)
            projected = await self._drain(self._store.delete_projected_before, now - r.outbox)
        if r.command_log:
            cutoff = now - r.command_log
            command_log = await self._drain(self._store.delete_commands_before, cutoff)
        purged = Purged(outbox, command_log, projected)
        if self._on_purged is not None:
            self._on_purged(purged)
        return purged

    async def _drain(
        self, delete: Callable[[datetime, int], Awaitable[int]], cutoff: datetime
    ) -> int:
        total, size = 0, self._retention.batch_size
        while True:
            deleted = await delete(cutoff, size)
            total += deleted
            if deleted < size:
                return total
            await asyncio.sleep(0)  # let the worker's other tasks run between batches

    async def run(self, stop: asyncio.Event) -> None:
        """Purge every ``interval`` until ``stop``; errors are logged and retried later."""
        if not (self._retention.outbox or self._retention.command_log):
            log.info("retention off: outbox and command log are kept for ever")
            return
        while not stop.is_set():
            try:
                if await self._store.hold_lease(LEASE, self.owner, self._lease_ttl):
                    purged = await self.purge_once()
                    if purged != Purged():
                        log.info(
                            "retention: deleted %d published outbox row(s), %d command-log "
                            "row(s), %d projected event id(s)",
                            purged.outbox,
                            purged.command_log,
                            purged.projected_events,
                        )
            except Exception as error:
                log.warning("retention: %s; trying again in %.0fs", error, self._retention.interval)
            try:
                await asyncio.wait_for(stop.wait(), self._retention.interval)
            except TimeoutError:
                pass
