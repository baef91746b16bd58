"""What the command side writes besides the aggregate (outbox messages, command records),
and what a batch reads before its commands are applied."""

from dataclasses import dataclass, field
from typing import Literal

from domain import Campana

CommandStatus = Literal["applied", "rejected"]


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """An integration event waiting to be published, stored in the state's transaction."""

    event_id: str
    topic: str
    key: str
    payload: bytes
    properties: dict[str, str]


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """The outcome of one command id: the idempotency record and the command's status."""

    command_id: str
    command_type: str
    campana_id: str | None
    fingerprint: str
    status: CommandStatus
    event_ids: tuple[str, ...] = ()
    reason: str | None = None
    field: str | None = None
    message: str | None = None
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """An outbox row not yet published, as the relay reads it."""

    seq: int
    message: OutboxMessage = field(repr=False)


@dataclass(frozen=True)
class Loaded:
    """What a batch of commands needs, read in one go before any is applied."""

    commands: dict[str, CommandRecord]  # command id -> its record
    campaigns: dict[str, Campana]  # each with the version read
    creations: dict[str, CommandRecord]  # campaign id -> the command that created it
