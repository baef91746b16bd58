"""Real databases for the tests: a SQLite file per test, and a fresh PostgreSQL database
per test on the server .ci/run started (or one started here via infra/postgres)."""

import os
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
