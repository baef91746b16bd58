"""Reading a command's outcome from the command log (for `alpes command status`, --wait)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.records import CommandRecord

from .schema import command_log
from .unit_of_work import record_from_row


async def command_status(engine: AsyncEngine, command_id: str) -> CommandRecord | None:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(command_log).where(command_log.c.command_id == command_id)
            )
        ).first()
    return None if row is None else record_from_row(row._mapping)
