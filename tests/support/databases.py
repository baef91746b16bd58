"""Real databases for the tests: a SQLite file per test, and a fresh PostgreSQL database
per test on the server .ci/run started (or one started here via infra/postgres)."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_SCRIPT = ROOT / "infra" / "postgres" / "postgres"


def postgres_server_url() -> str | None:
    """The server's URL from .ci/run (ALPES_TEST_POSTGRES_URL), or by starting one here."""
    if url := os.environ.get("ALPES_TEST_POSTGRES_URL"):
        return url
    if not POSTGRES_SCRIPT.exists():
        return None
    started = subprocess.run(
        [str(POSTGRES_SCRIPT), "start"], capture_output=True, text=True, timeout=900
    )
    if started.returncode != 0:
        return None
    return started.stdout.strip().splitlines()[-1]


async def create_database(server_url: str) -> str:
    name = f"alpes_test_{uuid.uuid4().hex[:12]}"
    admin = make_url(server_url)
    connection = await asyncpg.connect(
        host=admin.host, port=admin.port, user=admin.username, password=admin.password,
        database=admin.database,
    )
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin.set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, url: str) -> None:
    admin = make_url(server_url)
    connection = await asyncpg.connect(
        host=admin.host, port=admin.port, user=admin.username, password=admin.password,
        database=admin.database,
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await connection.close()


GRANTS_SQL = ROOT / "infra" / "postgres" / "grants.sql"


def role_url(url: str, role: str) -> str:
    """``url`` (a database on the test server) as the ``runtime`` or ``readonly`` role that
    infra/postgres creates (its name and password as that script prints them)."""
    printed = subprocess.run(
        [str(POSTGRES_SCRIPT), "url", role], capture_output=True, text=True, check=True
    ).stdout.strip()
    as_role = make_url(printed)
    return make_url(url).set(username=as_role.username, password=as_role.password).render_as_string(
        hide_password=False
    )


def apply_grants(url: str, owner_url: str | None = None) -> None:
    """Run infra/postgres/grants.sql in ``url``'s database as its owner, as operators do."""
    owner = make_url(owner_url or url)
    psql = shutil.which("psql") or max(Path("/usr/lib/postgresql").glob("*/bin/psql"))
    subprocess.run(
        [
            str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1",
            "-v", f"owner={owner.username}",
            "-v", f"runtime={make_url(role_url(url, 'runtime')).username}",
            "-v", f"readonly={make_url(role_url(url, 'readonly')).username}",
            "-f", str(GRANTS_SQL),
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
        ],
        check=True, capture_output=True, text=True, timeout=60,
    )
