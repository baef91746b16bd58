"""Sending commands as an upstream service would: what the CLI and the demo use."""

import asyncio
import uuid
from dataclasses import dataclass

import pydantic
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.command_status import command_status
from adapters.pulsar import PulsarBroker
from application.commands.rejection import Rejection
from application.records import CommandRecord
from contracts import properties as p
from contracts import v1, v2
from contracts.topics import COMMAND_TOPICS, COMMANDS_V2

CONTRACTS: dict[int, dict[str, type[pydantic.BaseModel]]] = {
    1: dict(v1.COMMANDS),
    2: dict(v2.COMMANDS),
}


@dataclass(frozen=True)
class SentCommand:
    command_id: str
    command_type: str
    campana_id: str


def validate(command_type: str, body: bytes, contract: int = 2) -> str:
    """Check a body against the contract's schema before sending; returns the campaign id
    it names, or raises Rejection naming the field."""
    models = CONTRACTS[contract]
    if command_type not in models:
        msg = f"unknown command {command_type!r}; expected one of {', '.join(models)}"
        raise Rejection("UNKNOWN_COMMAND", None, msg)
    try:
        command = models[command_type].model_validate_json(body)
    except pydantic.ValidationError as error:
        raise Rejection.from_validation(error) from error
    campana_id: str = command.campana_id  # type: ignore[attr-defined]
    return campana_id


async def send_command(
    broker: PulsarBroker,
    command_type: str,
    body: bytes,
    *,
    command_id: str | None = None,
    correlation_id: str | None = None,
    expected_version: int | None = None,
    contract: int = 2,
) -> SentCommand:
    """Publish one command as the contract says: v2 on the command stream, keyed by its
    campaign, with its name in ``command_type``; v1 (deprecated) on its own topic."""
    campana_id = validate(command_type, body, contract)
    command_id = command_id or str(uuid.uuid4())
    headers = {p.COMMAND_ID: command_id, "content-type": "application/json"}
    if contract == 2:
        headers[p.COMMAND_TYPE] = command_type
        if expected_version is not None:
            headers[p.EXPECTED_VERSION] = str(expected_version)
    elif expected_version is not None:
        msg = "expected_version is a v2 property; v1 topics have no optimistic concurrency"
        raise ValueError(msg)
    await broker.publish(
        body,
        COMMANDS_V2 if contract == 2 else COMMAND_TOPICS[command_type],
        key=campana_id,
        headers=headers,
        correlation_id=correlation_id or command_id,
    )
    return SentCommand(command_id, command_type, campana_id)


async def wait_for_outcome(
    engine: AsyncEngine, command_id: str, timeout: float = 30.0
) -> CommandRecord | None:
    """The command's record once a worker has applied or rejected it; None on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if (record := await command_status(engine, command_id)) is not None:
            return record
        await asyncio.sleep(0.05)
    return None
