"""The campaign view in SQL, as the projector's port sees it (``application.ports.ViewStore``)."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from application.projection import ApplyResult, IncomingEvent

from .errors import is_transient
from .read_store import apply_event, reset
from .read_store_batch import apply_events


class SqlViewStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def apply(self, event: IncomingEvent) -> ApplyResult:
        return await apply_event(
            self._engine, event.event_type, event.event_id, event.aggregate_version, event.body
        )

    async def apply_batch(self, events: Sequence[IncomingEvent]) -> list[ApplyResult | Exception]:
        return await apply_events(self._engine, events)

    async def reset(self) -> None:
        await reset(self._engine)

    def is_transient(self, error: BaseException) -> bool:
        return is_transient(error)
