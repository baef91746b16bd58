"""PostgreSQL, driven through infra/postgres/postgres: a server (the one CI started, the
script's default one, or a private one on a free port), fresh databases on it, and the
least-privilege roles the script creates."""

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from adapters.embedded_pulsar import free_port

ROOT = Path(__file__).resolve().parents[3]
POSTGRES_SCRIPT = ROOT / "infra" / "postgres" / "postgres"
GRANTS_SQL = ROOT / "infra" / "postgres" / "grants.sql"


class PostgresError(RuntimeError):
    """The script failed; the message says how."""


class PostgresServer:
    """One server, as the script's environment names it: ``ALPES_PG_DATA`` and
    ``ALPES_PG_PORT`` (unset: the script's defaults)."""

    def __init__(self, data: Path | None = None, port: int | None = None) -> None:
        self.data = data
        self.env = dict(os.environ)
        self._folder: Path | None = None  # made by private(), deleted by remove()
        if data is not None:
            self.env["ALPES_PG_DATA"] = str(data)
        if port is not None:
            self.env["ALPES_PG_PORT"] = str(port)

    @classmethod
    def private(cls, prefix: str) -> "PostgresServer":
        """A server of our own on a free port, its data in a new folder under the system's
        temporary directory (not pytest's private tree: as root, the server runs as
        `postgres` and must be able to reach it). ``remove()`` deletes it all."""
        home = Path(tempfile.mkdtemp(prefix=prefix))
        server = cls(home / "data", free_port())
        server._folder = home
        return server

    def run(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``infra/postgres/postgres COMMAND``, whatever its exit status."""
        return subprocess.run(
            [str(POSTGRES_SCRIPT), command],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, timeout: float = 900) -> str:
        """Start it (installing PostgreSQL from Debian's packages when missing), or find it
        running; the owner's URL."""
        done = self.run("start", timeout)
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-3:]
            raise PostgresError(f"infra/postgres start failed: {' | '.join(tail)}")
        return done.stdout.strip().splitlines()[-1]

    def stop(self, timeout: float = 300) -> None:
        done = self.run("stop", timeout)
        if done.returncode != 0:
            raise PostgresError(f"infra/postgres stop failed: {done.stderr[-2000:]}")

    @property
    def pid(self) -> int | None:
        """The postmaster's pid (its backends are its children)."""
        if self.data is None:
            return None
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def remove(self) -> None:
        """Stop it and delete its files, and the folder ``private()`` made."""
        self.run("clean", 120)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def postgres_server_url() -> str | None:
    """The server's URL from .ci/run (ALPES_TEST_POSTGRES_URL), or by starting the script's
    default one here; None if neither works."""
    if url := os.environ.get("ALPES_TEST_POSTGRES_URL"):
        return url
    if not POSTGRES_SCRIPT.exists():
        return None
    try:
        return PostgresServer().start()
    except PostgresError:
        return None


async def _admin(server_url: str) -> asyncpg.Connection:
    admin = make_url(server_url)
    connection: asyncpg.Connection = await asyncpg.connect(
        host=admin.host,
        port=admin.port,
        user=admin.username,
        password=admin.password,
        database=admin.database,
    )
    return connection


async def create_database(server_url: str, prefix: str = "alpes_test") -> str:
    """A new, empty database on the server; its URL (as the server's user)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection = await _admin(server_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, url: str) -> None:
    connection = await _admin(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await connection.close()


def role_url(url: str, role: str) -> str:
    """``url`` (a database on the test server) as the ``runtime`` or ``readonly`` role that
    infra/postgres creates (its name and password as that script prints them)."""
    printed = subprocess.run(
        [str(POSTGRES_SCRIPT), "url", role], capture_output=True, text=True, check=True
    ).stdout.strip()
    as_role = make_url(printed)
    return (
        make_url(url)
        .set(username=as_role.username, password=as_role.password)
        .render_as_string(hide_password=False)
    )


def apply_grants(url: str, owner_url: str | None = None) -> None:
    """Run infra/postgres/grants.sql in ``url``'s database as its owner, as operators do."""
    owner = make_url(owner_url or url)
    psql = shutil.which("psql") or max(Path("/usr/lib/postgresql").glob("*/bin/psql"))
    subprocess.run(
        [
            str(psql),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            f"owner={owner.username}",
            "-v",
            f"runtime={make_url(role_url(url, 'runtime')).username}",
            "-v",
            f"readonly={make_url(role_url(url, 'readonly')).username}",
            "-f",
            str(GRANTS_SQL),
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
