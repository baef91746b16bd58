"""The ports of the application core: what the use cases need from the outside world.
The adapters implement them (SQL, Pulsar, notification senders); in-memory ones serve
the tests and the batch (``application.commands.memory``)."""

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from application.projection import ApplyResult, IncomingEvent
from application.records import CommandRecord, Loaded, OutboxMessage, PendingMessage
from domain import Campana

# ---------------------------------------------------------------- commands ---


class CampaignRepository(Protocol):
    async def get(self, campana_id: str) -> Campana | None: ...
    def add(self, campana: Campana) -> None: ...


class CommandLog(Protocol):
    async def get(self, command_id: str) -> CommandRecord | None: ...
    async def creation_of(self, campana_id: str) -> CommandRecord | None: ...
    def add(self, record: CommandRecord) -> None: ...


class Outbox(Protocol):
    def add(self, messages: Sequence[OutboxMessage]) -> None: ...


class UnitOfWork(Protocol):
    """One command's changes, written together at ``commit()`` or not at all; a
    concurrent change of the same campaign raises ``ConcurrencyError`` at commit."""

    @property
    def campaigns(self) -> CampaignRepository: ...
    @property
    def commands(self) -> CommandLog: ...
    @property
    def outbox(self) -> Outbox: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class BatchTransaction(Protocol):
    """One transaction of a batch of commands: read what they need, write what they did."""

    async def load(self, command_ids: Sequence[str], campaign_ids: Sequence[str]) -> Loaded: ...
    async def write(
        self,
        changed: Sequence[tuple[Campana, int | None]],
        messages: Sequence[OutboxMessage],
        records: Sequence[CommandRecord],
    ) -> None:
        """``changed``: each campaign with the version it had when read (None: new). A
        campaign changed since it was read raises ``ConcurrencyError``."""
        ...


class CommandStore(Protocol):
    """Where commands are applied: a transaction per batch, a Unit of Work per command."""

    def transaction(self) -> AbstractAsyncContextManager[BatchTransaction]: ...
    def unit_of_work(self) -> UnitOfWork: ...
    def is_transient(self, error: BaseException) -> bool:
        """True for a store that is away right now (try again later), not a bad write."""
        ...


class CommandObserver(Protocol):
    """What the command side reports as it works (the metrics); it needs nothing back."""

    def transaction(self, commands: int, seconds: float) -> None:
        """A transaction of ``commands`` commands committed after ``seconds``."""
        ...


# ------------------------------------------------------------------ outbox ---


class OutboxStore(Protocol):
    async def fetch_pending(self, limit: int) -> list[PendingMessage]:
        """Unpublished messages in commit order."""
        ...

    async def mark_published(self, seqs: Sequence[int]) -> None: ...

    async def hold_lease(self, name: str, owner: str, ttl: float) -> bool:
        """Take or renew the lease ``name``; False while another owner holds it."""
        ...


class RetentionStore(Protocol):
    """Deletes what is past its retention, oldest first, at most ``limit`` rows a call
    (each call one short transaction); returns how many it deleted."""

    async def delete_published_before(self, cutoff: datetime, limit: int) -> int:
        """Outbox rows published before ``cutoff`` (never a pending one)."""
        ...

    async def delete_commands_before(self, cutoff: datetime, limit: int) -> int:
        """Command-log rows processed before ``cutoff``."""
        ...

    async def delete_projected_before(self, cutoff: datetime, limit: int) -> int:
        """The projector's records of events it applied before ``cutoff``."""
        ...

    async def hold_lease(self, name: str, owner: str, ttl: float) -> bool: ...


class EventPublisher(Protocol):
    async def publish_events(self, messages: Sequence[OutboxMessage]) -> list[BaseException | None]:
        """Send all at once; per message, None once stored or why it was not."""
        ...


# ------------------------------------------------------------------- view ---


class ViewStore(Protocol):
    """The read store the projection rules are applied to."""

    async def apply(self, event: IncomingEvent) -> ApplyResult:
        """One event in its own transaction; raises OutOfOrder, InvalidEvent or
        ProjectionConflict."""
        ...

    async def apply_batch(self, events: Sequence[IncomingEvent]) -> list[ApplyResult | Exception]:
        """Many in one transaction, one result or exception each; ``BatchConflict`` when
        another projector got in first."""
        ...

    async def reset(self) -> None:
        """Empty the view (before a rebuild)."""
        ...

    def is_transient(self, error: BaseException) -> bool: ...
