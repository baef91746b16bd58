"""Projecting events into the view: live, in micro-batches, and by replaying a stream.

Live: events are grouped as they come (group commit), one transaction per batch and one
result per event; a conflict with another projector falls back to one transaction per
event. Replay (a rebuild): the events of every campaign, sorted by version, into an
emptied view; a campaign whose history has a gap stops at the gap.
"""

import asyncio
import logging
from collections.abc import Sequence

from .errors import BatchConflict
from .group_commit import GroupCommit
from .ports import ViewStore
from .projection import REJECTED, ApplyResult, IncomingEvent, InvalidEvent, OutOfOrder

log = logging.getLogger("alpes.projector")


class BatchingProjector:
    """Events in micro-batches: one transaction per batch, one result per event."""

    def __init__(self, store: ViewStore, *, max_batch: int = 500) -> None:
        self.store = store
        self._group: GroupCommit[IncomingEvent, ApplyResult] = GroupCommit(
            self._process, max_batch=max_batch
        )

    async def apply(self, event: IncomingEvent) -> ApplyResult:
        return await self._group.submit(event)

    async def close(self) -> None:
        await self._group.close()

    async def _process(self, events: list[IncomingEvent]) -> list[ApplyResult | BaseException]:
        try:
            return list(await self.store.apply_batch(events))
        except BatchConflict:
            return list(
                await asyncio.gather(*(self.store.apply(e) for e in events), return_exceptions=True)
            )


async def replay(store: ViewStore, events: Sequence[IncomingEvent]) -> int:
    """Empty the view and apply ``events`` (all a stream holds) campaign by campaign, in
    version order; returns how many changed the view."""
    campaign_events = [e for e in events if e.event_type != REJECTED]
    campaign_events.sort(key=lambda e: (e.campana_id, e.aggregate_version or 0))
    await store.reset()
    applied = 0
    broken: set[str] = set()
    for event in campaign_events:
        if event.campana_id in broken:
            continue
        try:
            result = await store.apply(event)
        except OutOfOrder as gap:
            log.warning("rebuild: campaign %r stops at a gap: %s", event.campana_id, gap)
            broken.add(event.campana_id)
            continue
        except InvalidEvent as invalid:
            log.warning("rebuild: skipped an invalid event: %s", invalid)
            continue
        applied += result is ApplyResult.APPLIED
    log.info("rebuild: %d events read, %d applied", len(events), applied)
    return applied
