"""Hand-written fakes of the command side's ports (no database)."""

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from adapters.database.records import CommandRecord, OutboxMessage
from domain import Campana


class FakeCampaigns:
    def __init__(self, store: dict[str, Campana]) -> None:
        self._store = store
        self.added: list[Campana] = []

    async def get(self, campana_id: str) -> Campana | None:
        return self._store.get(campana_id)

    def add(self, campana: Campana) -> None:
        self.added.append(campana)


class FakeCommands:
    def __init__(self, records: dict[str, CommandRecord]) -> None:
        self._records = records
        self.added: list[CommandRecord] = []

    async def get(self, command_id: str) -> CommandRecord | None:
        return self._records.get(command_id)

    async def creation_of(self, campana_id: str) -> CommandRecord | None:
        return next(
            (r for r in self._records.values()
             if r.campana_id == campana_id and r.command_type == "crear-campana"),
            None,
        )

    def add(self, record: CommandRecord) -> None:
        self.added.append(record)


class FakeOutbox:
    def __init__(self) -> None:
        self.added: list[OutboxMessage] = []

    def add(self, messages: Sequence[OutboxMessage]) -> None:
        self.added.extend(messages)


class FakeUnitOfWork:
    """Commits into shared dicts, so several units of work see each other's writes."""

    def __init__(self, world: "World") -> None:
        self._world = world
        self.committed = False

    async def __aenter__(self) -> Self:
        self.campaigns = FakeCampaigns(dict(self._world.campaigns))
        self.commands = FakeCommands(dict(self._world.records))
        self.outbox = FakeOutbox()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        for campana in self.campaigns.added:
            campana.version += 1
            self._world.campaigns[campana.id] = campana
        for record in self.commands.added:
            self._world.records[record.command_id] = record
        self._world.outbox.extend(self.outbox.added)
        self.committed = True


class World:
    def __init__(self) -> None:
        self.campaigns: dict[str, Campana] = {}
        self.records: dict[str, CommandRecord] = {}
        self.outbox: list[OutboxMessage] = []

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def messages(self, version: int) -> list[OutboxMessage]:
        """The outbox messages of one contract version's topics."""
        return [m for m in self.outbox if m.properties.get("schema_version") == str(version)]
