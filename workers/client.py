"""Sending commands as an upstream service would: what the CLI and the demo use."""

import asyncio
import uuid
from dataclasses import dataclass

import pydantic
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.command_status import command_status
from adapters.database.records import CommandRecord
from adapters.pulsar import PulsarBroker
from contracts import properties as p
from contracts.topics import COMMAND_TOPICS
from contracts.v1 import COMMANDS, ComandoCampanaV1

from .campaigns.rejection import Rejection


@dataclass(frozen=True)
class SentCommand:
    command_id: str
    command_type: str
    campana_id: str


def validate(command_type: str, body: bytes) -> ComandoCampanaV1:
    """Check a body against the v1 schema before sending; raises Rejection naming the field."""
    if command_type not in COMMANDS:
        msg = f"unknown command {command_type!r}; expected one of {', '.join(COMMANDS)}"
        raise Rejection("UNKNOWN_COMMAND", None, msg)
    try:
        return COMMANDS[command_type].model_validate_json(body)
    except pydantic.ValidationError as error:
        raise Rejection.from_validation(error) from error


async def send_command(
    broker: PulsarBroker,
    command_type: str,
    body: bytes,
    *,
    command_id: str | None = None,
    correlation_id: str | None = None,
) -> SentCommand:
    command = validate(command_type, body)
    command_id = command_id or str(uuid.uuid4())
    await broker.publish(
        body,
        COMMAND_TOPICS[command_type],
        key=command.campana_id,
        headers={p.COMMAND_ID: command_id, "content-type": "application/json"},
        correlation_id=correlation_id or command_id,
    )
    return SentCommand(command_id, command_type, command.campana_id)


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
