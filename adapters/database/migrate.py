"""Schema migrations, and the check that keeps workers off a database not at head."""

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from .engine import create_engine, redact

SCRIPT_LOCATION = "migrations:"  # the `migrations` package, wherever it is installed


class DatabaseNotAtHeadError(RuntimeError):
    def __init__(self, url: str, current: str | None, head: str) -> None:
        super().__init__(
            f"Database {redact(url)} is at revision {current or 'none (empty)'}, "
            f"the code needs {head}. Run `alpes db upgrade` first."
        )


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the migrations folder holds no revision"
    return head


async def upgrade(url: str) -> str:
    """Bring the database to head; returns the revision it is at."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(_config(c), "head"))
    finally:
        await engine.dispose()
    return head_revision()


async def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )
    finally:
        await engine.dispose()


async def revision_of(engine: AsyncEngine) -> str | None:
    """The revision the database of ``engine`` is at (a running worker's readiness)."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda c: MigrationContext.configure(c).get_current_revision()
        )


async def require_head(url: str) -> None:
    current, head = await current_revision(url), head_revision()
    if current != head:
        raise DatabaseNotAtHeadError(url, current, head)
