"""Least privilege on PostgreSQL: the owner migrates, the runtime role (the workers) reads
and writes the service's tables but cannot change the schema, the read-only role (the
CLI's queries) cannot write; infra/postgres/grants.sql sets it up, and its default
privileges cover tables that later migrations create."""

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from adapters.database.migrate import current_revision, head_revision, require_head, upgrade
from tests.support.servers.postgres import apply_grants, create_database, drop_database, role_url

pytestmark = pytest.mark.security

DENIED_ALEMBIC = "permission denied for table alembic_version"


@pytest.fixture(params=["grants-then-migrations", "migrations-then-grants"])
async def owner_url(request: pytest.FixtureRequest, postgres_server: str) -> AsyncIterator[str]:
    """A fresh database at head, owned by the migrating role, with grants.sql applied
    before or after the migrations (both orders must end the same)."""
    url = await create_database(postgres_server)
    try:
        if request.param == "grants-then-migrations":
            apply_grants(url)
            await upgrade(url)
        else:
            await upgrade(url)
            apply_grants(url)
        yield url
    finally:
        await drop_database(postgres_server, url)


async def connect(url: str) -> asyncpg.Connection:
    u = make_url(url)
    connection: asyncpg.Connection = await asyncpg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, database=u.database
    )
    return connection


async def refused(url: str, statement: str) -> str:
    """The database's refusal of ``statement`` run as ``url``'s role."""
    connection = await connect(url)
    try:
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError) as error:
            await connection.execute(statement)
    finally:
        await connection.close()
    return str(error.value)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("ALTER TABLE outbox ADD COLUMN x int", "must be owner of table outbox"),
        ("DROP TABLE campaigns", "must be owner of table campaigns"),
        ("CREATE TABLE intruder (x int)", "permission denied for schema public"),
        ("TRUNCATE command_log", "permission denied for table command_log"),
        ("UPDATE alembic_version SET version_num = 'x'", DENIED_ALEMBIC),
        ("DELETE FROM alembic_version", DENIED_ALEMBIC),
    ],
)
async def test_the_runtime_role_cannot_change_the_schema(
    owner_url: str, statement: str, message: str
) -> None:
    assert await refused(role_url(owner_url, "runtime"), statement) == message


async def test_the_runtime_role_reads_and_writes_the_service_tables(owner_url: str) -> None:
    runtime = role_url(owner_url, "runtime")
    await require_head(runtime)  # what every worker checks first
    connection = await connect(runtime)
    try:
        async with connection.transaction():
            seq = await connection.fetchval(
                "INSERT INTO outbox (event_id, topic, key, payload, properties, created_at)"
                " VALUES ('e-1', 't', 'c-1', '\\x7b7d', '{}', now()) RETURNING seq"
            )
            await connection.execute("UPDATE outbox SET published_at = now() WHERE seq = $1", seq)
            await connection.execute("DELETE FROM outbox WHERE seq = $1", seq)
    finally:
        await connection.close()


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO relay_lease (name, owner, expires_at) VALUES ('x', 'y', now())",
        "UPDATE campaigns SET version = version + 1",
        "DELETE FROM command_log",
        "CREATE TABLE intruder (x int)",
    ],
)
async def test_the_read_only_role_cannot_write(owner_url: str, statement: str) -> None:
    message = await refused(role_url(owner_url, "readonly"), statement)
    assert message.startswith("permission denied for ")


async def test_the_read_only_role_reads_what_the_cli_shows(owner_url: str) -> None:
    readonly = role_url(owner_url, "readonly")
    assert await current_revision(readonly) == head_revision()
    connection = await connect(readonly)
    try:
        for table in ("campaign_view", "command_log", "campaigns", "outbox"):
            assert await connection.fetchval(f"SELECT count(*) FROM {table}") == 0
    finally:
        await connection.close()


async def test_tables_of_later_migrations_are_granted_by_default(owner_url: str) -> None:
    owner = await connect(owner_url)
    try:
        await owner.execute("CREATE TABLE later_table (id bigserial PRIMARY KEY, x int)")
    finally:
        await owner.close()
    runtime = await connect(role_url(owner_url, "runtime"))
    try:
        await runtime.execute("INSERT INTO later_table (x) VALUES (1)")
    finally:
        await runtime.close()
    readonly = await connect(role_url(owner_url, "readonly"))
    try:
        assert await readonly.fetchval("SELECT count(*) FROM later_table") == 1
    finally:
        await readonly.close()
    assert (
        await refused(role_url(owner_url, "readonly"), "INSERT INTO later_table (x) VALUES (2)")
        == "permission denied for table later_table"
    )
