"""One run's service: a private pulsar-lite, a fresh migrated database (SQLite file or a
PostgreSQL database), and the commands worker and the relay as ``alpes worker run``
processes with the run's retention settings (the servers are tests.support.servers')."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from bench.common import ROOT, say
from bench.pipeline.servers import BrokerServer, DatabaseServer
from tests.support.servers.workers import Worker, worker_env


class Stack:
    def __init__(self, name: str, database: DatabaseServer, env: dict[str, str], logs: Path):
        self.name = name
        self._database = database
        self._env = env
        self._logs = logs
        self.broker = BrokerServer("lite")
        self.url = ""  # the database's
        self._engine: AsyncEngine | None = None
        self.workers: list[Worker] = []

    async def start(self) -> None:
        self.broker.fresh()
        self.url = await self._database.fresh()
        self._engine = create_engine(self.url)
        env = worker_env(
            self.broker.url,
            "lite",
            self.url,
            "WARNING",
            ALPES_DATA_DIR=str(self._logs / f"{self.name}-data"),
            **self._env,
        )
        self.workers = [
            Worker(role, env, self._logs / f"{self.name}-{role}.log", ROOT).start()
            for role in ("commands", "relay")
        ]

    @property
    def engine(self) -> AsyncEngine:
        assert self._engine is not None, "start() first"
        return self._engine

    def check(self) -> None:
        """WorkerExited (with the end of its log) if a worker has stopped."""
        for worker in self.workers:
            worker.check_alive()

    async def stop(self) -> None:
        codes = [worker.terminate() for worker in self.workers]
        if any(code not in (0, None) for code in codes):
            say(f"  note: {self.name}'s workers exited with {codes}")
        if self._engine is not None:
            await self._engine.dispose()
            await self._database.drop(self.url)
        self.broker.close()
