"""Projecting events into the view: live, in micro-batches, and by replaying a stream.

Live: events are grouped as they come (group commit), one transaction per batch and one
result per event; a conflict with another projector falls back to one transaction per
event. Replay (a rebuild): the events of every campaign, sorted by version, into an
emptied view; only when the stream still holds every campaign's whole history (from
version 1, without a gap): a rebuild never silently builds a partial view.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence

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


class IncompleteHistory(RuntimeError):
    """The stream no longer holds every event of some campaigns (retention removed their
    beginning, or a gap): a rebuild from it would build a partial view."""

    def __init__(self, incomplete: dict[str, list[int]]) -> None:
        self.incomplete = incomplete
        shown = ", ".join(
            f"{campaign} (versions {_ranges(versions)})"
            for campaign, versions in list(incomplete.items())[:3]
        )
        more = f" and {len(incomplete) - 3} more" if len(incomplete) > 3 else ""
        super().__init__(
            f"the event stream no longer holds the whole history of {len(incomplete)} "
            f"campaign(s): {shown}{more}. Nothing was changed. Keep the stream's retention "
            "longer than a campaign's life to be able to rebuild (see docs/deployment.md)."
        )


Progress = Callable[[int, int], None]  # (events done, events in all)


def incomplete_campaigns(events: Sequence[IncomingEvent]) -> dict[str, list[int]]:
    """The campaigns whose versions in ``events`` are not 1, 2, ... without a gap."""
    versions: dict[str, set[int]] = {}
    for event in events:
        if event.event_type != REJECTED:
            versions.setdefault(event.campana_id, set()).add(event.aggregate_version or 1)
    return {
        campaign: sorted(held)
        for campaign, held in versions.items()
        if sorted(held) != list(range(1, len(held) + 1))
    }


async def replay(
    store: ViewStore, events: Sequence[IncomingEvent], progress: Progress | None = None
) -> int:
    """Empty the view and apply ``events`` (all a stream holds) campaign by campaign, in
    version order; returns how many changed the view. Raises ``IncompleteHistory``, with
    the view untouched, when the events are not every campaign's whole history."""
    if incomplete := incomplete_campaigns(events):
        raise IncompleteHistory(incomplete)
    campaign_events = [e for e in events if e.event_type != REJECTED]
    campaign_events.sort(key=lambda e: (e.campana_id, e.aggregate_version or 0))
    await store.reset()
    applied = 0
    for done, event in enumerate(campaign_events, start=1):
        try:
            result = await store.apply(event)
        except InvalidEvent as invalid:
            log.warning("rebuild: skipped an invalid event: %s", invalid)
            continue
        except OutOfOrder as gap:  # cannot happen on a complete history; said, not hidden
            log.warning("rebuild: campaign %r: %s", event.campana_id, gap)
            continue
        finally:
            if progress is not None:
                progress(done, len(campaign_events))
        applied += result is ApplyResult.APPLIED
    log.info("rebuild: %d events read, %d applied", len(events), applied)
    return applied


def _ranges(versions: list[int]) -> str:
    """``[2, 3, 4, 7]`` -> ``2-4, 7``."""
    parts: list[str] = []
    start = previous = versions[0]
    for version in [*versions[1:], None]:
        if version is not None and version == previous + 1:
            previous = version
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if version is not None:
            start = previous = version
    return ", ".join(parts)
