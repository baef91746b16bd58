"""What security costs the service: TLS + token authentication + authorization against
plain, on two Apache Pulsar standalones started side by side.

For each repeat and each set-up (alternating which goes first): a fresh SQLite
database, `alpes worker run commands` and `alpes worker run relay` (the service role's
token on the secured broker), then ``--commands`` crear-campana commands published at
once (the command producer's token on the secured broker); timed from the first send
until every command is applied and until every event is relayed to Pulsar. Medians.

    .venv/bin/python -m bench.security [--commands 5000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pulsar
import pulsar.asyncio

from bench.common import ROOT, say
from bench.pipeline.commands import COMMAND_TOPIC, campaign_id, command_body, command_id, run_tag
from tests.support.servers.apache_pulsar import Standalone
from tests.support.servers.workers import ALPES, Worker


@dataclass
class Setup:
    name: str
    standalone: Standalone
    urls: dict[str, str] | None = None  # what its start printed

    @property
    def secure(self) -> bool:
        return self.standalone.secure

    def token(self, role: str) -> str | None:
        if not self.secure or self.urls is None:
            return None
        key = Path(self.urls["PULSAR_TOKEN_SECRET_KEY"]).read_bytes()
        return jwt.encode({"sub": role, "exp": int(time.time()) + 3600}, key, "HS256")

    def alpes_env(self, token: str | None, **extra: str) -> dict[str, str]:
        assert self.urls is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALPES_")}
        env["ALPES_PULSAR_URL"] = self.urls["PULSAR_SERVICE_URL"]
        if self.secure:
            env["ALPES_PULSAR_TLS_TRUST_CERTS"] = self.urls["PULSAR_TLS_TRUST_CERTS"]
            env["ALPES_PULSAR_ADMIN_URL"] = self.urls["PULSAR_WEB_URL"]
        if token:
            env["ALPES_PULSAR_TOKEN"] = token
        return env | extra

    def client(self, token: str | None) -> pulsar.asyncio.Client:
        assert self.urls is not None
        kwargs: dict[str, Any] = {}
        if self.secure:
            kwargs |= {
                "use_tls": True,
                "tls_trust_certs_file_path": self.urls["PULSAR_TLS_TRUST_CERTS"],
            }
        if token:
            kwargs["authentication"] = pulsar.AuthenticationToken(token)
        return pulsar.asyncio.Client(
            self.urls["PULSAR_SERVICE_URL"], logger=logging.getLogger("bench.pulsar"), **kwargs
        )


def setups(root: Path) -> list[Setup]:
    return [
        Setup(name, Standalone.private(root / name, secure=secure))
        for name, secure in (("plain", False), ("tls+token", True))
    ]


async def publish(setup: Setup, tag: str, n: int) -> None:
    client = setup.client(setup.token("command-producer"))
    try:
        producer = await client.create_producer(
            COMMAND_TOPIC,
            batching_enabled=True,
            batching_max_messages=1000,
            batching_max_publish_delay_ms=5,
            max_pending_messages=10_000,
        )
        in_flight = asyncio.Semaphore(5_000)

        async def send(i: int) -> None:
            async with in_flight:
                cid = campaign_id(tag, i)
                await producer.send(
                    command_body(cid),
                    properties={"command_id": command_id(tag, i)},
                    partition_key=cid,
                )

        await asyncio.gather(*(send(i) for i in range(n)))
        await producer.close()
    finally:
        await client.close()


def counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db, timeout=30) as connection:
        applied = connection.execute("SELECT count(*) FROM command_log").fetchone()[0]
        relayed = connection.execute(
            "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"
        ).fetchone()[0]
    return int(applied), int(relayed)


def one_run(setup: Setup, n: int, folder: Path) -> tuple[float, float]:
    folder.mkdir(parents=True)
    db = folder / "alpes.db"
    env = setup.alpes_env(
        setup.token("service"), ALPES_DATABASE_URL=f"sqlite:///{db}", ALPES_DATA_DIR=str(folder)
    )
    subprocess.run([ALPES, "db", "upgrade"], env=env, check=True, capture_output=True)
    workers = [
        Worker(name, env, folder / f"{name}.log", ROOT).start() for name in ("commands", "relay")
    ]
    try:
        for worker in workers:
            worker.wait_ready()
        return asyncio.run(measure(setup, workers, db, n))
    finally:
        for worker in workers:
            worker.terminate()


async def measure(setup: Setup, workers: list[Worker], db: Path, n: int) -> tuple[float, float]:
    """From the first send until all ``n`` are applied, and until all are relayed."""
    tag = run_tag()
    started = time.perf_counter()
    await publish(setup, tag, n)
    applied_at = relayed_at = None
    while relayed_at is None:
        for worker in workers:
            worker.check_alive()
        applied, relayed = counts(db)
        now = time.perf_counter()
        if applied >= n and applied_at is None:
            applied_at = now
        if relayed >= n:
            relayed_at = now
        if now > started + 600:
            raise RuntimeError(f"{setup.name}: {applied}/{n} applied, {relayed} relayed")
        await asyncio.sleep(0.05)
    assert applied_at is not None
    return n / (applied_at - started), n / (relayed_at - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--commands", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="alpes-bench-security-"))
    chosen = setups(root)
    try:
        for setup in chosen:
            say(f"starting Apache Pulsar standalone, {setup.name} ...")
            setup.urls = setup.standalone.start()
        secure = chosen[1]
        assert secure.urls is not None
        admin = Path(secure.urls["PULSAR_ADMIN_TOKEN_FILE"]).read_text().strip()
        granted = subprocess.run(
            [ALPES, "topics", "grant"],
            capture_output=True,
            text=True,
            env=secure.alpes_env(None, ALPES_PULSAR_ADMIN_TOKEN=admin),
        )
        if granted.returncode:
            raise RuntimeError(granted.stderr)
        results: dict[str, list[tuple[float, float]]] = {s.name: [] for s in chosen}
        for repeat in range(args.repeats):
            order = chosen if repeat % 2 == 0 else chosen[::-1]
            for setup in order:
                rates = one_run(setup, args.commands, root / f"run-{setup.name}-{repeat}")
                results[setup.name].append(rates)
                say(
                    f"  {setup.name:<10} repeat {repeat + 1}: {rates[0]:7.0f} commands/s applied, "
                    f"{rates[1]:7.0f} events/s relayed"
                )
        medians = {
            name: (statistics.median(r[0] for r in rates), statistics.median(r[1] for r in rates))
            for name, rates in results.items()
        }
        plain, tls = medians["plain"], medians["tls+token"]
        say(
            json.dumps(
                {
                    "commands": args.commands,
                    "repeats": args.repeats,
                    "median_applied_per_s": {k: round(v[0]) for k, v in medians.items()},
                    "median_relayed_per_s": {k: round(v[1]) for k, v in medians.items()},
                    "runs": results,
                    "applied_ratio": round(tls[0] / plain[0], 3),
                    "relayed_ratio": round(tls[1] / plain[1], 3),
                }
            )
        )
    finally:
        for setup in chosen:
            if setup.urls is not None:
                setup.standalone.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
