"""Micro-batching: many commands in one transaction, each with its own outcome.

Handlers submit their command and wait. Commands submitted while a batch is being
written form the next batch (group commit), so batches grow with the load and a lone
command waits at most ``max_wait``. Each command runs through the same handler code
as in a one-command Unit of Work, against an in-memory view of the batch: a rejection
or a failure of one command touches nothing of the others. The handler acknowledges
its message only after the batch is committed.
"""

import asyncio
import copy
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database import batch as store
from adapters.database.errors import ConcurrencyError
from adapters.database.records import CommandRecord, OutboxMessage
from adapters.database.unit_of_work import SqlUnitOfWork
from domain import Campana

from .handler import CommandEnvelope, Outcome, apply_in, handle_command

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


@dataclass
class _Item:
    envelope: CommandEnvelope
    defer: bool
    future: "asyncio.Future[Outcome]"


class BatchingProcessor:
    def __init__(self, engine: AsyncEngine, *, max_batch: int = 500, max_wait: float = 0.002):
        self._engine = engine
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._pending: list[_Item] = []
        self._runner: asyncio.Task[None] | None = None
        self.batches = 0
        self.committed = 0

    async def submit(self, envelope: CommandEnvelope, *, defer: bool = False) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append(_Item(envelope, defer, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await future

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)

    async def _run(self) -> None:
        while self._pending:
            if len(self._pending) < self._max_batch:
                await asyncio.sleep(self._max_wait)  # let a few more arrive
            items = self._pending[: self._max_batch]
            del self._pending[: len(items)]
            items = [i for i in items if not i.future.done()]  # callers cancelled
            if items:
                await self._process(items)

    async def _process(self, items: list[_Item]) -> None:
        try:
            outcomes = await self._in_one_transaction(items)
        except ConcurrencyError as conflict:
            # Another worker changed one of these campaigns: one transaction each.
            log.info("batch of %d conflicted (%s); one by one", len(items), conflict)
            await asyncio.gather(*(self._alone(item) for item in items))
            return
        except Exception as error:
            for item in items:
                if not item.future.done():
                    item.future.set_exception(error)
            return
        for item, outcome in zip(items, outcomes, strict=True):
            if item.future.done():
                continue
            if isinstance(outcome, BaseException):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)

    async def _in_one_transaction(self, items: list[_Item]) -> list[Outcome | BaseException]:
        async with self._engine.begin() as connection:
            loaded = await store.load(
                connection,
                (i.envelope.command_id for i in items),
                (campaign_id for i in items if (campaign_id := _campaign_of(i.envelope))),
            )
            state = _BatchState(loaded)
            outcomes: list[Outcome | BaseException] = []
            for item in items:
                try:
                    uow = _ItemUnitOfWork(state)
                    outcomes.append(await apply_in(item.envelope, uow, item.defer))
                except Exception as error:  # isolated: only this command fails
                    outcomes.append(error)
            changed = [
                (state.campaigns[k], read)
                for k, read in state.read_versions.items()
                if state.campaigns[k].version != (read or 0)
            ]
            await store.write(connection, changed, state.outbox, state.new_records)
        self.batches += 1
        self.committed += len(items)
        return outcomes

    async def _alone(self, item: _Item) -> None:
        try:
            outcome = await handle_command(
                item.envelope, lambda: SqlUnitOfWork(self._engine), defer=item.defer
            )
        except Exception as error:
            if not item.future.done():
                item.future.set_exception(error)
            return
        if not item.future.done():
            item.future.set_result(outcome)


def _campaign_of(envelope: CommandEnvelope) -> str | None:
    """The campaign a command names, for loading it up front (decoding comes later)."""
    try:
        body = json.loads(envelope.body)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    value = body.get("id" if envelope.command_type == "crear-campana" else "campana_id")
    return value if isinstance(value, str) else None
