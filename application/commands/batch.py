"""Micro-batching: many commands in one transaction, each with its own outcome.

Handlers submit their command and wait. Commands submitted while a batch is being
written form the next batch (group commit), so batches grow with the load and a lone
command waits at most ``max_wait``. Each command runs through the same handler code
as in a one-command Unit of Work, in an in-memory Unit of Work over what the batch read:
a rejection or a failure of one command touches nothing of the others. The handler acknowledges
its message only after the batch is committed.
"""

import logging
import time
from collections.abc import Sequence

from ..group_commit import GroupCommit
from ..ports import CommandObserver, CommandStore
from .handler import DEFAULT_RENDERER, Outcome, apply_in, handle_command
from .incoming import CommandEnvelope, IncomingCommand, decode
from .memory import InMemoryState
from .render import EventRenderer

log = logging.getLogger("alpes.commands.batch")


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
        store: CommandStore,
        *,
        max_batch: int = 500,
        max_wait: float = 0.002,
        renderer: EventRenderer = DEFAULT_RENDERER,
        observer: CommandObserver | None = None,
    ):
        self.store = store
        self.renderer = renderer
        self.observer = observer
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

    def retriable(self, error: BaseException) -> bool:
        """Worth trying again in place: the store was away, or the command waited behind
        an earlier one of its campaign that failed."""
        return isinstance(error, KeyHeld) or self.store.is_transient(error)

    async def _process(self, items: list[IncomingCommand]) -> list[Outcome | BaseException]:
        started = time.perf_counter()
        try:
            outcomes = await self._in_one_transaction(items)
        except Exception as error:
            if self.store.is_transient(error):
                raise  # the database is away: the whole batch waits and is tried again
            # Another worker changed one of these campaigns (ConcurrencyError), or one
            # command's rows cannot be written: one transaction each, one after another,
            # so that the conflict is resolved and a bad row fails alone.
            log.info("batch of %d failed (%s); one by one", len(items), error)
            return await self._one_by_one(items)
        if self.observer is not None:
            self.observer.transaction(len(items), time.perf_counter() - started)
        return outcomes

    async def _one_by_one(self, items: list[IncomingCommand]) -> list[Outcome | BaseException]:
        results: list[Outcome | BaseException] = []
        held: set[str] = set()
        for incoming in items:
            key = incoming.campana_id
            if key is not None and key in held:
                results.append(KeyHeld(key))
                continue
            started = time.perf_counter()
            try:
                results.append(
                    await handle_command(incoming, self.store.unit_of_work, self.renderer)
                )
                if self.observer is not None:
                    self.observer.transaction(1, time.perf_counter() - started)
            except Exception as error:
                results.append(error)
                if key is not None:
                    held.add(key)
        return results

    async def _in_one_transaction(
        self, items: list[IncomingCommand]
    ) -> list[Outcome | BaseException]:
        async with self.store.transaction() as transaction:
            loaded = await transaction.load(
                [incoming.command_id for incoming in items],
                [campaign for incoming in items if (campaign := incoming.campana_id)],
            )
            state = InMemoryState.from_loaded(loaded)
            outcomes: list[Outcome | BaseException] = []
            for incoming in items:
                try:
                    outcomes.append(await apply_in(incoming, state.unit_of_work(), self.renderer))
                except Exception as error:  # isolated: only this command fails
                    outcomes.append(error)
            await transaction.write(state.changed(), state.outbox, state.new_records)
        return outcomes
