"""The in-memory Unit of Work: campaigns, command records and outbox messages in dicts.

It serves the batch processor (each command of a batch runs in one, over what the batch
loaded, and the batch writes the sum at the end) and the tests (over an empty state). It
keeps the port's promises as the SQL one does (see tests/unit_of_work): changes are
visible only after ``commit()``, a command that fails half-way leaves nothing behind,
and a commit over a campaign or command id someone else wrote since raises
``ConcurrencyError``.
"""

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from application.errors import ConcurrencyError
from application.records import CommandRecord, Loaded, OutboxMessage
from contracts.topics import CREAR_CAMPANA
from domain import Campana


@dataclass
class InMemoryState:
    """What the units of work over it have committed; ``read_versions`` remembers the
    version each campaign had when the state was loaded (None: it is new)."""

    campaigns: dict[str, Campana] = field(default_factory=dict)
    records: dict[str, CommandRecord] = field(default_factory=dict)
    creations: dict[str, CommandRecord] = field(default_factory=dict)
    outbox: list[OutboxMessage] = field(default_factory=list)
    read_versions: dict[str, int | None] = field(default_factory=dict)
    new_records: list[CommandRecord] = field(default_factory=list)

    @classmethod
    def from_loaded(cls, loaded: Loaded) -> "InMemoryState":
        return cls(
            campaigns=dict(loaded.campaigns),
            records=dict(loaded.commands),
            creations=dict(loaded.creations),
            read_versions={k: c.version for k, c in loaded.campaigns.items()},
        )

    def unit_of_work(self) -> "InMemoryUnitOfWork":
        return InMemoryUnitOfWork(self)

    def changed(self) -> list[tuple[Campana, int | None]]:
        """The campaigns committed since the state was loaded, each with the version it
        had then (None: new)."""
        return [
            (self.campaigns[k], read)
            for k, read in self.read_versions.items()
            if self.campaigns[k].version != (read or 0)
        ]

    def messages(self, version: int) -> list[OutboxMessage]:
        """The outbox messages of one contract version's topics."""
        return [m for m in self.outbox if m.properties.get("schema_version") == str(version)]


class _Campaigns:
    def __init__(self, state: InMemoryState) -> None:
        self._state = state
        self.read: dict[str, int | None] = {}  # id -> version when read (None: absent)
        self.added: list[Campana] = []

    async def get(self, campana_id: str) -> Campana | None:
        found = self._state.campaigns.get(campana_id)
        self.read.setdefault(campana_id, None if found is None else found.version)
        # A copy: a command that fails half-way must not leave its changes behind.
        return None if found is None else copy.deepcopy(found)

    def add(self, campana: Campana) -> None:
        self.added.append(campana)


class _Commands:
    def __init__(self, state: InMemoryState) -> None:
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


class InMemoryUnitOfWork:
    """One command's Unit of Work over an ``InMemoryState``: commit() applies its writes."""

    def __init__(self, state: InMemoryState) -> None:
        self._state = state
        self.committed = False

    async def __aenter__(self) -> Self:
        self.campaigns = _Campaigns(self._state)
        self.commands = _Commands(self._state)
        self.outbox = _Outbox()
        self.committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None  # nothing was applied unless commit() was called

    async def commit(self) -> None:
        state = self._state
        self._check_no_one_else_wrote()
        for campana in self.campaigns.added:
            state.read_versions.setdefault(campana.id, None)
            campana.version += 1
            state.campaigns[campana.id] = campana
        for record in self.commands.added:
            state.records[record.command_id] = record
            state.new_records.append(record)
            if record.command_type == CREAR_CAMPANA and record.status == "applied":
                state.creations[record.campana_id or ""] = record
        state.outbox.extend(self.outbox.added)
        self.committed = True

    def _check_no_one_else_wrote(self) -> None:
        state = self._state
        for campana in self.campaigns.added:
            now = state.campaigns.get(campana.id)
            read = self.campaigns.read.get(campana.id)
            if (None if now is None else now.version) != read:
                msg = f"campaign {campana.id!r} changed since version {read}"
                raise ConcurrencyError(msg)
        for record in self.commands.added:
            if record.command_id in state.records:
                msg = f"command {record.command_id!r} was recorded by another writer"
                raise ConcurrencyError(msg)
