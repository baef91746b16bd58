"""The ports the command handler needs; the SQL adapters and the tests' fakes fill them."""

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self

from adapters.database.records import CommandRecord, OutboxMessage
from domain import Campana


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
