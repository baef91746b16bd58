"""Alembic environment: runs on the connection `adapters.database.migrate` hands over,
or on ALPES_DATABASE_URL when alembic is invoked directly."""

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from adapters.database.engine import create_engine
from adapters.database.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_url(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url") or os.environ["ALPES_DATABASE_URL"]
    asyncio.run(_run_on_url(url))
