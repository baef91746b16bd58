"""Helpers of ``bench.pipeline``: servers, worker processes, command publishing, database
probes and process accounting. Nothing here is measured by itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pulsar
import pulsar.asyncio
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.migrate import upgrade
from adapters.database.schema import campaigns, command_log, outbox
from adapters.embedded_pulsar import EmbeddedPulsar, free_port
from adapters.pulsar import APACHE_PULSAR, PULSAR_LITE, BrokerCapabilities
from contracts.examples import example
from contracts.topics import COMMANDS_V2, command_topic, event_topic

from .broker import Standalone, apache_unavailable_reason, raw_client, say

ROOT = Path(__file__).resolve().parents[1]
ALPES = Path(sys.executable).parent / "alpes"
POSTGRES_SCRIPT = ROOT / "infra" / "postgres" / "postgres"

COMMAND = "crear-campana"
EVENT = "campana-creada"
COMMAND_TOPIC = command_topic(COMMAND)
EVENT_TOPIC = event_topic(EVENT)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_MB = 1 / 1024  # /proc/<pid>/status reports kB


class BenchError(RuntimeError):
    pass


# --------------------------------------------------------------------- bodies ---

_SEEDS: dict[int, dict[str, Any]] = {v: json.loads(example(COMMAND, v)) for v in (1, 2)}


def command_body(campaign_id: str, contract: int = 1) -> bytes:
    """The seed project's ``crear-campana`` JSON (in the contract version's shape) with
    another campaign id."""
    id_field = "campana_id" if contract == 2 else "id"
    return json.dumps(_SEEDS[contract] | {id_field: campaign_id}, ensure_ascii=False).encode()


def run_tag() -> str:
    return uuid.uuid4().hex[:8]


def campaign_id(tag: str, i: int) -> str:
    return f"c-{tag}-{i}"


def command_id(tag: str, i: int) -> str:
    return f"b-{tag}-{i}"


def index_of(command_id_: str, tag: str) -> int | None:
    prefix = f"b-{tag}-"
    if not command_id_.startswith(prefix):
        return None
    return int(command_id_[len(prefix) :])


# ------------------------------------------------------------------- brokers ---


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
        self._lite: EmbeddedPulsar | None = None
        self._standalone: Standalone | None = None
        self._start_timeout = start_timeout
        self._count = 0
        self.url = ""

    def unavailable(self) -> str | None:
        return apache_unavailable_reason() if self.kind == "apache" else None

    def fresh(self) -> str:
        """A broker with no command backlog; returns its URL."""
        if self.kind == "lite":
            if self._lite is not None:
                self._lite.stop()
                shutil.rmtree(self._lite.data_dir, ignore_errors=True)
            self._count += 1
            self._lite = EmbeddedPulsar(self._root / f"lite-{self._count}")
            self._lite.start()
            self.url = self._lite.url
            return self.url
        if self._standalone is None:
            standalone = Standalone(self._start_timeout)
            self._standalone = standalone
            say(f"  starting Apache Pulsar standalone on {standalone.url} ...")
            started = time.monotonic()
            reason = standalone.start()
            if reason:
                raise BenchError(reason)
            say(f"  ready in {time.monotonic() - started:.0f} s")
            self.url = standalone.url
        return self.url

    @property
    def pid(self) -> int | None:
        if self._lite is not None:
            return self._lite.pid
        if self._standalone is not None:
            try:
                return int((self._standalone.data / "pulsar-standalone.pid").read_text().strip())
            except (OSError, ValueError):
                return None
        return None

    def close(self) -> None:
        if self._lite is not None:
            self._lite.stop()
            self._lite = None
        if self._standalone is not None:
            self._standalone.stop()
            self._standalone = None
        shutil.rmtree(self._root, ignore_errors=True)


# ----------------------------------------------------------------- databases ---


class DatabaseServer:
    """SQLite (a fresh file per database) or a private PostgreSQL server (a fresh database
    per request) started with infra/postgres on a free port and a temporary data dir."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "sqlite" | "postgresql"
        self.name = kind
        self._root = Path(tempfile.mkdtemp(prefix=f"alpes-bench-{kind}-"))
        self._count = 0
        self._server_url: str | None = None
        self._env = {
            **os.environ,
            "ALPES_PG_DATA": str(self._root / "data"),
            "ALPES_PG_PORT": str(free_port()),
        }
        self._created: list[str] = []

    def unavailable(self) -> str | None:
        if self.kind == "postgresql" and not POSTGRES_SCRIPT.exists():
            return f"{POSTGRES_SCRIPT} is missing"
        return None

    def _postgres(self, command: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(POSTGRES_SCRIPT), command],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    async def start(self) -> None:
        if self.kind != "postgresql" or self._server_url is not None:
            return
        done = await asyncio.to_thread(self._postgres, "start", 900)
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-3:]
            raise BenchError(f"infra/postgres start failed: {' | '.join(tail)}")
        self._server_url = done.stdout.strip().splitlines()[-1]

    async def fresh(self) -> str:
        """A new, migrated, empty database; returns its URL."""
        self._count += 1
        if self.kind == "sqlite":
            url = f"sqlite:///{self._root / f'alpes-{self._count}.db'}"
        else:
            await self.start()
            assert self._server_url is not None
            admin = make_url(self._server_url)
            name = f"alpes_bench_{self._count}_{uuid.uuid4().hex[:6]}"
            connection = await asyncpg.connect(
                host=admin.host,
                port=admin.port,
                user=admin.username,
                password=admin.password,
                database=admin.database,
            )
            try:
                await connection.execute(f'CREATE DATABASE "{name}"')
            finally:
                await connection.close()
            url = admin.set(database=name).render_as_string(hide_password=False)
            self._created.append(url)
        await upgrade(url)
        return url

    async def drop(self, url: str) -> None:
        """Free the space of a database no longer needed."""
        if self.kind == "sqlite":
            _remove_sqlite(make_url(url).database or "")
            return
        assert self._server_url is not None
        admin = make_url(self._server_url)
        connection = await asyncpg.connect(
            host=admin.host,
            port=admin.port,
            user=admin.username,
            password=admin.password,
            database=admin.database,
        )
        try:
            name = make_url(url).database
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    @property
    def pid(self) -> int | None:
        """The postmaster's pid (its backends are its children)."""
        if self.kind != "postgresql":
            return None
        try:
            return int((self._root / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def close(self) -> None:
        if self.kind == "postgresql" and self._server_url is not None:
            try:
                self._postgres("stop", 90)
            except subprocess.TimeoutExpired:
                say(f"warning: infra/postgres stop timed out; files left in {self._root}")
                return
        shutil.rmtree(self._root, ignore_errors=True)


def _remove_sqlite(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# ------------------------------------------------------------ worker processes ---


def worker_env(
    broker: BrokerServer, database_url: str, overrides: dict[str, str]
) -> dict[str, str]:
    return (
        {k: v for k, v in os.environ.items() if not k.startswith("ALPES_")}
        | {
            "ALPES_PULSAR_URL": broker.url,
            "ALPES_PULSAR_FLAVOR": broker.kind,
            "ALPES_DATABASE_URL": database_url,
            "ALPES_LOG_LEVEL": "WARNING",
            "ALPES_DATA_DIR": str(Path(tempfile.gettempdir()) / "alpes-bench-unused"),
        }
        | overrides
    )


class WorkerProcess:
    """``alpes worker run NAME`` in its own process, stderr to a log file."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        with log_path.open("wb") as out:
            self.process = subprocess.Popen(
                [str(ALPES), "worker", "run", name],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=out,
                stdin=subprocess.DEVNULL,
                cwd=ROOT,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise BenchError(
                f"worker {self.name} exited with {self.process.returncode}: " + " | ".join(tail)
            )

    def memory_mb(self, field_name: str = "VmRSS") -> float:
        """VmRSS (now) or VmHWM (peak) in MB; 0 if the process is gone."""
        return status_mb(self.pid, field_name)

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def status_mb(pid: int, field_name: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) * PAGE_MB
    except OSError:
        pass
    return 0.0


# ------------------------------------------------------------ CPU accounting ---


def _stat_fields(path: Path) -> list[str] | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces; split after its ")".
    return text[text.rindex(")") + 2 :].split()


def process_cpu(pid: int, *, with_children: bool = False) -> float:
    """CPU seconds (user + system) of a process; with its live and reaped children."""
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
        for child in children_of(pid):
            ticks += round(process_cpu(child, with_children=True) * CLOCK_TICKS)
    return ticks / CLOCK_TICKS


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry / "stat")
        if fields is not None and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of a process's ``main`` thread (the event loop) and of its ``other``
    threads (pulsar-client's C++ threads, aiosqlite's connection thread, anyio's pool:
    they all carry the process's name, so they are not told apart here)."""
    out: dict[str, float] = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        fields = _stat_fields(task / "stat")
        if fields is None:
            continue
        key = "main" if task.name == str(pid) else "other"
        out[key] = out.get(key, 0.0) + (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return out


def machine_busy_cpu() -> float:
    """CPU seconds spent not idle by the whole machine since boot (all cores)."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in parts]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def run_queue_wait(pid: int) -> float:
    """Seconds the main thread of ``pid`` has spent runnable but waiting for a CPU
    (/proc/<pid>/task/<pid>/schedstat): how much other load delayed it."""
    try:
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass
class CpuSnapshot:
    at: float
    machine: float
    processes: dict[str, float]
    threads: dict[str, float]
    waits: dict[str, float]


def cpu_snapshot(pids: dict[str, int | None], worker_pid: int | None) -> CpuSnapshot:
    processes = {}
    waits = {}
    for name, pid in pids.items():
        if pid is not None:
            processes[name] = process_cpu(pid, with_children=name == "database")
            if name in ("commands worker", "relay"):
                waits[name] = run_queue_wait(pid)
    processes["bench"] = time.process_time()
    threads = thread_cpu(worker_pid) if worker_pid is not None else {}
    return CpuSnapshot(time.monotonic(), machine_busy_cpu(), processes, threads, waits)


def cpu_between(a: CpuSnapshot, b: CpuSnapshot) -> dict[str, Any]:
    """CPU seconds used between two snapshots, per process and per worker thread group,
    and the seconds the workers' event-loop threads waited for a CPU."""
    wall = b.at - a.at
    per_process = {k: b.processes[k] - a.processes.get(k, 0.0) for k in b.processes}
    known = sum(per_process.values())
    machine = b.machine - a.machine
    per_process["rest of machine"] = max(0.0, machine - known)
    threads = {k: b.threads[k] - a.threads.get(k, 0.0) for k in b.threads}
    waits = {k: b.waits[k] - a.waits.get(k, 0.0) for k in b.waits}
    return {
        "wall_s": wall,
        "machine_s": machine,
        "processes": per_process,
        "threads": threads,
        "run_queue_wait_s": waits,
    }


# ----------------------------------------------------------------- publishing ---


async def publish_commands(
    url: str, tag: str, n: int, *, topic: str | None = None, contract: int = 1
) -> float:
    """Publish ``n`` crear-campana commands (unique campaign and command ids, key = the
    campaign id) with batching on and many sends in flight, on the v1 topic or on the v2
    stream; returns msg/s. Both with the same batcher, so that only the contract version
    differs: the default one, fine for a single command worker (several workers on a
    Key_Shared subscription need key-based batching, whatever the version)."""
    client = raw_client(url)
    topic = topic or (COMMANDS_V2 if contract == 2 else COMMAND_TOPIC)
    extra = {"command_type": COMMAND} if contract == 2 else {}
    try:
        producer = await client.create_producer(
            topic,
            batching_enabled=True,
            batching_max_messages=1000,
            batching_max_publish_delay_ms=5,
            max_pending_messages=10_000,
            block_if_queue_full=False,
        )
        in_flight = asyncio.Semaphore(5_000)
        sends: list[asyncio.Future[pulsar.MessageId]] = []
        started = time.perf_counter()
        for i in range(n):
            await in_flight.acquire()
            cid = campaign_id(tag, i)
            send = asyncio.ensure_future(
                producer.send(
                    command_body(cid, contract),
                    properties={"command_id": command_id(tag, i), **extra},
                    partition_key=cid,
                )
            )
            send.add_done_callback(lambda _: in_flight.release())
            sends.append(send)
        results = await asyncio.gather(*sends, return_exceptions=True)
        elapsed = time.perf_counter() - started
        await producer.close()
    finally:
        await close_quietly(client)
    failures = [r for r in results if not isinstance(r, pulsar.MessageId)]
    if failures:
        raise BenchError(f"{len(failures)} of {n} command sends failed, e.g. {failures[0]!r}")
    return n / elapsed


async def close_quietly(client: pulsar.asyncio.Client) -> None:
    try:
        await client.close()
    except pulsar.asyncio.PulsarException:
        await asyncio.to_thread(client.shutdown)


@dataclass
class Paced:
    """Commands sent at a fixed offered rate, each with ``sent_at`` (epoch seconds)."""

    tag: str
    rate: float
    sent_at: array[float] = field(default_factory=lambda: array("d"))
    elapsed: float = 0.0
    failures: int = 0


async def paced_publish(url: str, paced: Paced, seconds: float) -> None:
    """Send ``paced.rate`` commands per second for ``seconds``: every tick, the commands due
    by then. Each command carries ``sent_at`` (time.time() at the send call)."""
    client = raw_client(url)
    try:
        # Batching on with a 1 ms window: a client producer as a busy service would run
        # it; the window is part of the measured latency.
        producer = await client.create_producer(
            COMMAND_TOPIC,
            batching_enabled=True,
            batching_max_publish_delay_ms=1,
            max_pending_messages=10_000,
            block_if_queue_full=False,
        )
        pending: set[asyncio.Future[pulsar.MessageId]] = set()

        def settled(send: asyncio.Future[pulsar.MessageId]) -> None:
            pending.discard(send)
            if send.cancelled() or send.exception() is not None:
                paced.failures += 1

        started = time.monotonic()
        i = 0
        while (now := time.monotonic() - started) < seconds:
            due = int(now * paced.rate)
            while i < due:
                cid = campaign_id(paced.tag, i)
                sent_at = time.time()
                send = asyncio.ensure_future(
                    producer.send(
                        command_body(cid),
                        properties={
                            "command_id": command_id(paced.tag, i),
                            "sent_at": repr(sent_at),
                        },
                        partition_key=cid,
                    )
                )
                paced.sent_at.append(sent_at)
                pending.add(send)
                send.add_done_callback(settled)
                i += 1
            await asyncio.sleep(0.002)
        paced.elapsed = time.monotonic() - started
        if pending:
            await asyncio.wait(pending, timeout=60)
        await producer.close()
    finally:
        await close_quietly(client)


@dataclass
class Latencies:
    """Per event of a paced run: receive time - sent_at, and the event's publish time
    (set by the relay's producer) - sent_at, in seconds."""

    end_to_end: array[float] = field(default_factory=lambda: array("d"))
    to_event_publish: array[float] = field(default_factory=lambda: array("d"))
    received: int = 0


class EventListener:
    """A plain pulsar-client consumer on the campana-creada topic (own subscription, from
    the latest message on) that timestamps every event of a paced run."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._client: pulsar.asyncio.Client | None = None
        self._consumer: Any = None
        self._task: asyncio.Task[None] | None = None
        self.paced: Paced | None = None
        self.latencies = Latencies()

    async def start(self) -> None:
        self._client = raw_client(self._url)
        self._consumer = await self._client.subscribe(
            EVENT_TOPIC,
            f"bench-latency-{run_tag()}",
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Latest,
            receiver_queue_size=1000,
        )
        self._task = asyncio.create_task(self._loop())

    def follow(self, paced: Paced) -> None:
        self.paced = paced
        self.latencies = Latencies()

    async def _loop(self) -> None:
        consumer = self._consumer
        while True:
            msg = await consumer.receive()
            received = time.time()
            paced = self.paced
            if paced is not None:
                index = index_of(msg.properties().get("command_id", ""), paced.tag)
                if index is not None and index < len(paced.sent_at):
                    sent = paced.sent_at[index]
                    self.latencies.end_to_end.append(received - sent)
                    self.latencies.to_event_publish.append(msg.publish_timestamp() / 1000 - sent)
                    self.latencies.received += 1
            await consumer.acknowledge(msg)

    async def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.latencies.received < count:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._client is not None:
            await close_quietly(self._client)


# ----------------------------------------------------------- database probes ---


def epoch(value: datetime) -> float:
    """SQLite hands back naive datetimes (stored as UTC), PostgreSQL aware ones."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


async def progress(engine: AsyncEngine) -> tuple[int, int]:
    """(command_log rows, outbox rows not yet published)."""
    async with engine.connect() as c:
        done = (await c.execute(select(func.count()).select_from(command_log))).scalar_one()
        pending = (
            await c.execute(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        ).scalar_one()
    return int(done), int(pending)


@dataclass
class Timings:
    first_processed: float
    last_processed: float
    last_published: float
    first_batch: int
    batches: int
    rows: int


async def timings(engine: AsyncEngine, tag: str) -> Timings:
    """From the rows' own timestamps: command_log.processed_at (one per batch: when the
    batch's writes began) and outbox.published_at (when the relay marked its batch)."""
    like = f"b-{tag}-%"
    async with engine.connect() as c:
        row = (
            await c.execute(
                select(
                    func.min(command_log.c.processed_at),
                    func.max(command_log.c.processed_at),
                    func.count(func.distinct(command_log.c.processed_at)),
                    func.count(),
                ).where(command_log.c.command_id.like(like))
            )
        ).one()
        first, last, batches, rows = row
        first_batch = (
            await c.execute(
                select(func.count())
                .select_from(command_log)
                .where(command_log.c.processed_at == first, command_log.c.command_id.like(like))
            )
        ).scalar_one()
        published = (
            await c.execute(
                select(func.max(outbox.c.published_at)).where(outbox.c.key.like(f"c-{tag}-%"))
            )
        ).scalar_one()
    if first is None or published is None:
        raise BenchError("no processed or published row to time")
    return Timings(
        epoch(first), epoch(last), epoch(published), int(first_batch), int(batches), int(rows)
    )


async def processed_at(engine: AsyncEngine, tag: str) -> dict[int, float]:
    """command index -> processed_at, for the commands of a paced run."""
    async with engine.connect() as c:
        rows = await c.execute(
            select(command_log.c.command_id, command_log.c.processed_at).where(
                command_log.c.command_id.like(f"b-{tag}-%")
            )
        )
        out = {}
        for cid, at in rows:
            index = index_of(cid, tag)
            if index is not None:
                out[index] = epoch(at)
    return out


@dataclass
class RowSet:
    campaigns: list[dict[str, Any]]
    outbox: list[dict[str, Any]]
    command_log: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.command_log)


async def read_rows(url: str, tag: str) -> RowSet:
    """The rows the service wrote for the backlog ``tag``, as it wrote them (outbox rows
    as unpublished, without their sequence number)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as c:
            camps = [
                dict(r._mapping)
                for r in await c.execute(select(campaigns).where(campaigns.c.id.like(f"c-{tag}-%")))
            ]
            box = [
                {k: v for k, v in r._mapping.items() if k != "seq"} | {"published_at": None}
                for r in await c.execute(select(outbox).where(outbox.c.key.like(f"c-{tag}-%")))
            ]
            log = [
                dict(r._mapping)
                for r in await c.execute(
                    select(command_log).where(command_log.c.command_id.like(f"b-{tag}-%"))
                )
            ]
    finally:
        await engine.dispose()
    # Each event is written once per published contract version.
    if not (len(camps) == len(log) and log and len(box) % len(log) == 0):
        raise BenchError(
            f"uneven rows: {len(camps)} campaigns, {len(box)} outbox, {len(log)} command_log"
        )
    return RowSet(camps, box, log)


async def insert_rows(url: str, rows: RowSet, batch: int) -> float:
    """Insert ``rows`` into the fresh database ``url`` with Core executemany, ``batch``
    commands (a campaign, its outbox rows and a command_log row each) per transaction, as the
    service's batch writer does; returns commands per second."""
    from sqlalchemy import insert

    per = len(rows.outbox) // len(rows)  # outbox rows per command: one per version

    engine = create_engine(url)
    try:
        async with engine.connect():
            pass  # open the pool's first connection outside the clock
        started = time.perf_counter()
        for start in range(0, len(rows), batch):
            end = start + batch
            async with engine.begin() as c:
                await c.execute(insert(campaigns), rows.campaigns[start:end])
                await c.execute(insert(outbox), rows.outbox[start * per : end * per])
                await c.execute(insert(command_log), rows.command_log[start:end])
        elapsed = time.perf_counter() - started
        async with engine.connect() as c:
            count = (await c.execute(select(func.count()).select_from(command_log))).scalar_one()
    finally:
        await engine.dispose()
    if count != len(rows):
        raise BenchError(f"raw insert wrote {count} of {len(rows)} command rows")
    return len(rows) / elapsed


# --------------------------------------------------------------------- stats ---


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def slope_per_minute(samples: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) samples, in value per minute."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mx = sum(t for t, _ in samples) / n
    my = sum(v for _, v in samples) / n
    sxx = sum((t - mx) ** 2 for t, _ in samples)
    sxy = sum((t - mx) * (v - my) for t, v in samples)
    return 60 * sxy / sxx if sxx else 0.0


# ------------------------------------------------------------------- profile ---

# Leaf frames of a thread that waits (py-spy's idle detection misses some of them).
_IDLE_LEAVES = (
    "Condition.wait (threading.py",
    "Queue.get (queue.py",
    "EpollSelector.select (selectors.py",
    "Event.wait (threading.py",
    "sleep (",
)

# (label, frame prefix) of the stages worth naming, for each worker; inclusive shares.
COMMAND_STAGES = (
    (
        "FastStream per-message pipeline (process_message, incl. handler)",
        "SubscriberUsecase.process_message (faststream/",
    ),
    (
        "  Context() argument resolved in a thread pool (fast_depends)",
        "run_in_threadpool (fast_depends/",
    ),
    (
        "  the handler (workers/campaigns/worker.py), awaiting its batch",
        "_handler.<locals>.handle (",
    ),
    ("receive loop: pulsar Consumer.receive (one per batch)", "Consumer.receive (pulsar/"),
    ("receive loop: the rest of the batch, prefetched", "take_ready (adapters/pulsar/native.py"),
    ("acknowledgement (grouped by the client)", "acknowledge (adapters/pulsar/native.py"),
    ("one batch transaction (_in_one_transaction)", "BatchingProcessor._in_one_transaction ("),
    ("  apply each command (decode, domain, events)", "apply_in (workers/campaigns/handler.py"),
    ("    pydantic: validate the command body", "BaseModel.model_validate_json (pydantic/"),
    ("    pydantic: serialise the event", "BaseModel.model_dump_json (pydantic/"),
    ("    domain: Campana.crear", "Campana.crear (domain/"),
    ("  load: SELECTs of the batch", "load (adapters/database/batch.py"),
    ("  write: INSERTs of the batch", "write (adapters/database/"),
    ("SQLAlchemy, all statements (main thread)", "AsyncConnection.execute (sqlalchemy/"),
    ("commit", "AsyncTransaction.__aexit__ (sqlalchemy/"),
)
RELAY_STAGES = (
    ("relay_once: one relay batch", "OutboxRelay.relay_once (workers/relay.py"),
    ("  fetch_pending: SELECT of pending rows", "fetch_pending (adapters/database/outbox_store.py"),
    ("  send: broker.send_many per round", "PulsarBroker.send_many (adapters/pulsar/"),
    ("    pulsar-client send_async calls", "send_all (adapters/pulsar/native.py"),
    ("  mark_published: UPDATE of the batch", "mark_published (adapters/database/outbox_store.py"),
    ("hold_lease: the relay lease", "hold_lease (adapters/database/outbox_store.py"),
    ("SQLAlchemy, all statements (main thread)", "AsyncConnection.execute (sqlalchemy/"),
)

_PACKAGES = (
    ("our code", ("workers/", "adapters/", "domain/", "contracts/", "console/")),
    ("FastStream + fast_depends", ("faststream/", "fast_depends/")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("SQLite driver (aiosqlite, sqlite3 C inside)", ("aiosqlite/",)),
    ("PostgreSQL driver (asyncpg)", ("asyncpg/",)),
    ("pulsar-client (Python side, C++ calls inside)", ("pulsar/",)),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("anyio (thread pool)", ("anyio/",)),
    ("asyncio event loop", ("asyncio/", "selectors.py")),
    ("threading / queue", ("threading.py", "queue.py")),
)


def py_spy() -> str | None:
    """The py-spy binary (a PyPI wheel: ``pip install py-spy``), if installed."""
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found if Path(found).exists() else None


def start_py_spy(spy: str, pid: int, output: Path) -> subprocess.Popen[bytes]:
    """Sample ``pid`` at 100 Hz without stopping it, all threads, until SIGINT; collapsed
    stacks (one line per stack and its count) go to ``output``."""
    return subprocess.Popen(
        [
            spy,
            "record",
            "--nonblocking",
            "--threads",
            "--rate",
            "100",
            "--format",
            "raw",
            "--output",
            str(output),
            "--pid",
            str(pid),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_py_spy(spies: Sequence[subprocess.Popen[bytes]]) -> None:
    for p in spies:
        p.send_signal(signal.SIGINT)
    for p in spies:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _frame_file(frame: str) -> str:
    start = frame.rfind(" (")
    return frame[start + 2 :] if start >= 0 else frame


def _package(frame: str) -> str:
    path = _frame_file(frame)
    for label, prefixes in _PACKAGES:
        if path.startswith(prefixes):
            return label
    return "other (stdlib: json, uuid, hashlib, dataclasses...)"


def _thread_role(head: str) -> str:
    name = head.split(":", 1)[1].strip() if ":" in head else head
    if name == "MainThread":
        return "event loop (main thread)"
    if "AnyIO worker thread" in name:
        return "anyio worker threads (fast_depends thread pool)"
    if "_connection_worker_thread" in name:
        return "aiosqlite connection thread"
    return "other threads"


def summarize_profile(path: Path, stages: Sequence[tuple[str, str]], top: int = 12) -> list[str]:
    """Text summary of a py-spy ``--format raw --threads`` file: busy samples per thread,
    self time by package, named stages (inclusive) and the top self-time functions."""
    threads: dict[str, int] = {}
    packages: dict[str, int] = {}
    stage_hits = dict.fromkeys((label for label, _ in stages), 0)
    leaves: dict[str, int] = {}
    busy = idle = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        head, *frames = stack.split(";")
        if not frames:
            continue
        leaf = frames[-1]
        if leaf.startswith(_IDLE_LEAVES):
            idle += count
            continue
        busy += count
        role = _thread_role(head)
        threads[role] = threads.get(role, 0) + count
        packages[_package(leaf)] = packages.get(_package(leaf), 0) + count
        name = leaf.rsplit(":", 1)[0] + ")"
        leaves[name] = leaves.get(name, 0) + count
        for label, prefix in stages:
            if any(f.startswith(prefix) for f in frames):
                stage_hits[label] += count
    if not busy:
        return ["  (no busy samples)"]

    def pct(v: int) -> str:
        return f"{100 * v / busy:5.1f} %"

    out = [f"  {busy} busy samples ({idle} idle ones left out)", "  by thread:"]
    out += [f"    {pct(v)}  {k}" for k, v in sorted(threads.items(), key=lambda kv: -kv[1])]
    out.append("  self time by package (the frame on top of the stack):")
    out += [f"    {pct(v)}  {k}" for k, v in sorted(packages.items(), key=lambda kv: -kv[1])]
    out.append("  stages (inclusive: the stage's frame anywhere on the stack):")
    out += [f"    {pct(v)}  {k}" for k, v in stage_hits.items()]
    out.append(f"  top {top} functions by self time:")
    out += [f"    {pct(v)}  {k}" for k, v in sorted(leaves.items(), key=lambda kv: -kv[1])[:top]]
    return out
