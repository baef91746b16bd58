"""Micro-batching: many commands in one transaction, each with its own outcome.

Handlers submit their command and wait. Commands submitted while a batch is being
written form the next batch (group commit), so batches grow with the load and a lone
command waits at most ``max_wait``. Each command runs through the same handler code
as in a one-command Unit of Work, against an in-memory view of the batch: a rejection
or a failure of one command touches nothing of the others. The handler acknowledges
its message only after the batch is committed.
"""

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database import batch as store
from adapters.database.errors import is_transient
from adapters.database.records import CommandRecord, OutboxMessage
from adapters.database.unit_of_work import SqlUnitOfWork
from domain import Campana

from ..group_commit import GroupCommit
from .handler import DEFAULT_RENDERER, Outcome, apply_in, handle_command
from .incoming import CommandEnvelope, IncomingCommand, decode
from .render import EventRenderer

log = logging.getLogger("alpes.commands.batch")


@dataclass
class _BatchState:
    """What the batch has read and written so far."""

    loaded: store.Loaded
    campaigns: dict[str, Campana] = field(default_factory=dict)
    read_versions: dict[str, int | None] = field(default_factory=dict)
    records: dict[str, CommandRecord] = field(default_factory=dict)
    creations: dict[str, CommandRecord] = field(default_factory=dict)
    outbox: list[OutboxMessage] = field(default_factory=list)
    new_records: list[CommandRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.campaigns = dict(self.loaded.campaigns)
        self.read_versions = {k: c.version for k, c in self.loaded.campaigns.items()}
        self.records = dict(self.loaded.commands)
        self.creations = dict(self.loaded.creations)


class _Campaigns:
    def __init__(self, state: _BatchState) -> None:
        self._state = state
        self.added: list[Campana] = []

    async def get(self, campana_id: str) -> Campana | None:
        found = self._state.campaigns.get(campana_id)
        # A copy: a command that fails half-way must not leave its changes behind.
        return None if found is None else copy.deepcopy(found)

    def add(self, campana: Campana) -> None:
        self.added.append(campana)


class _Commands:
    def __init__(self, state: _BatchState) -> None:
        self._state = state
        self.added: list[CommandRecord] = []

    async def get(self, command_id: str) -> CommandRecord | None:
        return self._state.records.get(command_id)

    async def creation_of(self, campana_id: str) -> CommandRecord | None:
        return self._state.creations.get(campana_id)

    def add(self, record: CommandRecord) -> None:
        self.added.append(record)


class _Outbox:
    def __init__(self) -> None:
        self.added: list[OutboxMessage] = []

    def add(self, messages: Sequence[OutboxMessage]) -> None:
        self.added.extend(messages)


class _ItemUnitOfWork:
    """One command's Unit of Work inside the batch: commit() stages its writes."""

    def __init__(self, state: _BatchState) -> None:
        self._state = state

    async def __aenter__(self) -> Self:
        self.campaigns = _Campaigns(self._state)
        self.commands = _Commands(self._state)
        self.outbox = _Outbox()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        state = self._state
        for campana in self.campaigns.added:
            state.read_versions.setdefault(campana.id, None)
            campana.version += 1
            state.campaigns[campana.id] = campana
        for record in self.commands.added:
            state.records[record.command_id] = record
            state.new_records.append(record)
            if record.command_type == "crear-campana" and record.status == "applied":
                state.creations[record.campana_id or ""] = record
        state.outbox.extend(self.outbox.added)


class KeyHeld(Exception):
    """Not tried: an earlier command of the same campaign failed in this batch. It is
    tried again after that one, never before it, so a campaign's commands keep their
    order."""

    def __init__(self, campana_id: str) -> None:
        super().__init__(f"held behind an earlier command of campaign {campana_id!r}")


class BatchingProcessor:
    """Commands in micro-batches: one transaction per batch, one outcome per command."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_batch: int = 500,
        max_wait: float = 0.002,
        renderer: EventRenderer = DEFAULT_RENDERER,
    ):
        self._engine = engine
        self.renderer = renderer
        self._group: GroupCommit[IncomingCommand, Outcome] = GroupCommit(
            self._process, max_batch=max_batch, max_wait=max_wait
        )

    @property
    def batches(self) -> int:
        return self._group.batches

    async def submit(self, command: CommandEnvelope | IncomingCommand) -> Outcome:
        incoming = decode(command) if isinstance(command, CommandEnvelope) else command
        return await self._group.submit(incoming)

    async def submit_many(
        self, commands: Sequence[IncomingCommand]
    ) -> list[Outcome | BaseException]:
        """Commands applied in this order, one result each."""
        return await self._group.submit_many(commands)

    async def close(self) -> None:
        await self._group.close()

    async def _process(self, items: list[IncomingCommand]) -> list[Outcome | BaseException]:
        try:
            return await self._in_one_transaction(items)
        except Exception as error:
            if is_transient(error):
                raise  # the database is away: the whole batch waits and is tried again
            # Another worker changed one of these campaigns (ConcurrencyError), or one
            # command's rows cannot be written: one transaction each, one after another,
            # so that the conflict is resolved and a bad row fails alone.
            log.info("batch of %d failed (%s); one by one", len(items), error)
            return await self._one_by_one(items)

    async def _one_by_one(self, items: list[IncomingCommand]) -> list[Outcome | BaseException]:
        results: list[Outcome | BaseException] = []
        held: set[str] = set()
        for incoming in items:
            key = incoming.campana_id
            if key is not None and key in held:
                results.append(KeyHeld(key))
                continue
            try:
                results.append(
                    await handle_command(
                        incoming, lambda: SqlUnitOfWork(self._engine), self.renderer
                    )
                )
            except Exception as error:
                results.append(error)
                if key is not None:
                    held.add(key)
        return results

    async def _in_one_transaction(
        self, items: list[IncomingCommand]
    ) -> list[Outcome | BaseException]:
        async with self._engine.begin() as connection:
            loaded = await store.load(
                connection,
                (incoming.command_id for incoming in items),
                (campaign for incoming in items if (campaign := incoming.campana_id)),
            )
            state = _BatchState(loaded)
            outcomes: list[Outcome | BaseException] = []
            for incoming in items:
                try:
                    outcomes.append(
                        await apply_in(incoming, _ItemUnitOfWork(state), self.renderer)
                    )
                except Exception as error:  # isolated: only this command fails
                    outcomes.append(error)
            changed = [
                (state.campaigns[k], read)
                for k, read in state.read_versions.items()
                if state.campaigns[k].version != (read or 0)
            ]
            await store.write(connection, changed, state.outbox, state.new_records)
        return outcomes
