"""The broker and the database of a configuration, private to the run: pulsar-lite (a
fresh one per repeat) or an Apache Pulsar standalone (one per configuration), SQLite or a
PostgreSQL server (a fresh database per run). The servers are driven by
tests.support.servers."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy.engine import make_url

from adapters.database.migrate import upgrade
from adapters.embedded_pulsar import EmbeddedPulsar, free_port
from adapters.pulsar import APACHE_PULSAR, PULSAR_LITE, BrokerCapabilities
from bench.common import say
from tests.support.servers.apache_pulsar import Standalone, StandaloneError, unavailable_reason
from tests.support.servers.postgres import (
    POSTGRES_SCRIPT,
    PostgresServer,
    create_database,
    drop_database,
)
from tests.support.servers.pulsar_lite import running_pulsar_lite


class BrokerServer:
    """pulsar-lite (a fresh process and data directory per repeat, so topics are fresh)
    or a private Apache Pulsar standalone (one per configuration: the contract's topic
    names are fixed, so repeats reuse them; the subscription has no backlog between
    repeats)."""

    def __init__(self, kind: str, start_timeout: float = 180.0) -> None:
        self.kind = kind  # "lite" | "apache"
        self.name = "pulsar-lite" if kind == "lite" else "apache-pulsar"
        self.capabilities: BrokerCapabilities = PULSAR_LITE if kind == "lite" else APACHE_PULSAR
        self._root = Path(tempfile.mkdtemp(prefix=f"alpes-bench-{kind}-"))
        self._lite_stack = ExitStack()  # the running pulsar-lite, stopped by the next fresh()
        self._lite: EmbeddedPulsar | None = None
        self._standalone: Standalone | None = None
        self._start_timeout = start_timeout
        self._count = 0
        self.url = ""

    def unavailable(self) -> str | None:
        return unavailable_reason(tools=("java",)) if self.kind == "apache" else None

    def fresh(self) -> str:
        """A broker with no command backlog; returns its URL."""
        if self.kind == "lite":
            self._stop_lite()
            self._count += 1
            data = self._root / f"lite-{self._count}"
            self._lite = self._lite_stack.enter_context(running_pulsar_lite(data))
            self.url = self._lite.url
            return self.url
        if self._standalone is None:
            data = self._root / "pulsar" / "data"
            standalone = Standalone.private(data, start_timeout=self._start_timeout)
            self._standalone = standalone
            say(f"  starting Apache Pulsar standalone on {standalone.url} ...")
            started = time.monotonic()
            # The script may first fetch the runtime from Maven Central (once per machine).
            standalone.start(self._start_timeout + 120)
            say(f"  ready in {time.monotonic() - started:.0f} s")
            self.url = standalone.url
        return self.url

    def _stop_lite(self) -> None:
        if self._lite is not None:
            self._lite_stack.close()
            shutil.rmtree(self._lite.data_dir, ignore_errors=True)
            self._lite = None

    @property
    def pid(self) -> int | None:
        if self._lite is not None:
            return self._lite.pid
        if self._standalone is not None:
            return self._standalone.pid
        return None

    def close(self) -> None:
        self._stop_lite()
        if self._standalone is not None:
            try:
                self._standalone.stop(90)
            except StandaloneError as e:
                say(f"warning: {e}; files left in {self._root}")
                return
            finally:
                self._standalone = None
        shutil.rmtree(self._root, ignore_errors=True)


class DatabaseServer:
    """SQLite (a fresh file per database) or a private PostgreSQL server (a fresh database
    per request) started with infra/postgres on a free port and a temporary data dir."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "sqlite" | "postgresql"
        self.name = kind
        self._root = Path(tempfile.mkdtemp(prefix=f"alpes-bench-{kind}-"))
        self._count = 0
        self._server = PostgresServer(self._root / "data", free_port())
        self._server_url: str | None = None

    def unavailable(self) -> str | None:
        if self.kind == "postgresql" and not POSTGRES_SCRIPT.exists():
            return f"{POSTGRES_SCRIPT} is missing"
        return None

    async def start(self) -> None:
        if self.kind != "postgresql" or self._server_url is not None:
            return
        self._server_url = await asyncio.to_thread(self._server.start)

    async def fresh(self) -> str:
        """A new, migrated, empty database; returns its URL."""
        self._count += 1
        if self.kind == "sqlite":
            url = f"sqlite:///{self._root / f'alpes-{self._count}.db'}"
        else:
            await self.start()
            assert self._server_url is not None
            url = await create_database(self._server_url, prefix=f"alpes_bench_{self._count}")
        await upgrade(url)
        return url

    async def drop(self, url: str) -> None:
        """Free the space of a database no longer needed."""
        if self.kind == "sqlite":
            _remove_sqlite(make_url(url).database or "")
            return
        assert self._server_url is not None
        await drop_database(self._server_url, url)

    @property
    def pid(self) -> int | None:
        """The postmaster's pid (its backends are its children)."""
        return self._server.pid if self.kind == "postgresql" else None

    def close(self) -> None:
        if self.kind == "postgresql" and self._server_url is not None:
            try:
                self._server.run("stop", 90)
            except subprocess.TimeoutExpired:
                say(f"warning: infra/postgres stop timed out; files left in {self._root}")
                return
        shutil.rmtree(self._root, ignore_errors=True)


def _remove_sqlite(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
