"""Soak: a stream of 5,000 v2 commands while worker processes are SIGKILLed and restarted,
the broker is killed -9 and restarted, and (on PostgreSQL) the database is stopped and
restarted. At the end every command is applied exactly once and in the order sent, every
event reached the downstream consumer at least once with a stable id, each campaign's
events in aggregate_version order, the outbox is empty, nothing is lost.

Run with ``-s`` to see the figures line of each run (it is also in any failure message).
``ALPES_SOAK_CAMPAIGNS`` (default 1000, five commands each) shrinks the stream for a
quick local try.
"""

import asyncio
import contextlib
import os
import time
import urllib.error
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.database.migrate import upgrade
from contracts.topics import COMMAND_TOPICS, COMMANDS_V2
from tests.support.brokers import RealBroker
from tests.support.servers.postgres import (
    POSTGRES_SCRIPT,
    PostgresError,
    PostgresServer,
    create_database,
)
from tests.support.servers.pulsar_lite import running_pulsar_lite
from tests.support.servers.workers import Worker, worker_env
from workers.commands import SUBSCRIPTION

from .stream import (
    FINAL_STATE,
    FINAL_VERSION,
    CommandProducer,
    EventCollector,
    Fleet,
    Ledger,
    WorkerLogs,
    campaign_commands,
    wait_quiescent,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

CAMPAIGNS = int(os.environ.get("ALPES_SOAK_CAMPAIGNS", "1000"))
BATCH = 25  # campaigns published together (125 commands), then a pause
QUIESCE_TIMEOUT = 240.0

Action = Callable[[], Awaitable[None]]


@dataclass
class Soak:
    """One configuration: where the broker and database are, how to break them."""

    label: str
    broker_url: str
    flavor: str  # ALPES_PULSAR_FLAVOR
    database_url: str
    command_workers: int
    pace: float  # seconds between batches
    kill_broker: Action
    start_broker: Action
    restart_database: Action | None = None
    broker_log: Path | None = None  # pulsar-lite's, shown when the run fails
    # A reason the stream can never complete, seen while waiting for it (then: fail now).
    stuck: Callable[[], str | None] = lambda: None
    broker_kills: int = 0
    db_restarts: int = 0


# ------------------------------------------------------------------ the run ---
async def run_soak(soak: Soak, folder: Path) -> str:
    started = time.monotonic()
    run = uuid.uuid4().hex[:8]
    env = worker_env(soak.broker_url, soak.flavor, soak.database_url, "INFO")
    roles = {f"commands-{i + 1}": "commands" for i in range(soak.command_workers)}
    roles["relay"] = "relay"
    fleet = Fleet(
        {name: Worker(role, env, folder / f"{name}.log", folder) for name, role in roles.items()}
    )
    commanders = [name for name in roles if name.startswith("commands")]
    campaigns = [campaign_commands(run, n) for n in range(CAMPAIGNS)]
    command_ids = {c.command_id for commands in campaigns for c in commands}
    published = 0

    async def broker_outage() -> None:
        soak.broker_kills += 1  # first: a failed kill still gets the broker restarted
        await soak.kill_broker()
        await asyncio.sleep(2)
        await soak.start_broker()

    async def database_outage() -> None:
        assert soak.restart_database is not None
        await soak.restart_database()
        soak.db_restarts += 1

    def kill(*names: str) -> tuple[str, Action]:
        async def action() -> None:
            await fleet.kill(*names)

        return f"SIGKILL {'+'.join(names)}", action

    # (fraction of campaigns published, what to break then)
    plan: list[tuple[float, tuple[str, Action]]] = [
        (0.08, kill(commanders[0])),
        (0.18, kill("relay")),
        (0.30, ("SIGKILL broker, restart", broker_outage)),
        (0.45, kill(commanders[-1])),
        (0.60, kill(*commanders, "relay")),
        (0.78, kill(commanders[0])),
        (0.95, kill(commanders[-1], "relay")),
    ]
    if soak.restart_database is not None:
        plan.append((0.52, ("stop database, start", database_outage)))
        plan.sort(key=lambda step: step[0])

    timeline: list[str] = []

    async def chaos() -> None:
        for at, (what, action) in plan:
            while published < at * CAMPAIGNS:
                await asyncio.sleep(0.1)
            timeline.append(f"{time.monotonic() - started:.0f}s {what} ({published} published)")
            await action()

    collector = EventCollector(soak.broker_url, f"soak-downstream-{run}")
    await collector.start()
    stop = asyncio.Event()
    fleet.start()
    supervisor = asyncio.create_task(fleet.supervise(stop))
    chaos_task = asyncio.create_task(chaos())
    try:
        async with CommandProducer(soak.broker_url) as producer:
            for first in range(0, CAMPAIGNS, BATCH):
                await producer.send_campaigns(campaigns[first : first + BATCH])
                published = min(first + BATCH, CAMPAIGNS)
                await asyncio.sleep(soak.pace)
            await chaos_task
        produced_in = time.monotonic() - started
        ledger, settled = await wait_quiescent(
            soak.database_url, command_ids, collector, QUIESCE_TIMEOUT, soak.stuck
        )
    finally:
        if not chaos_task.done():
            chaos_task.cancel()
            with contextlib.suppress(BaseException):
                await chaos_task
        stop.set()
        await supervisor
        fleet.stop()
        await collector.close()

    logs = WorkerLogs.read(fleet.workers[name].log for name in commanders)
    assert ledger is not None, "the database could not be read at the end"
    figures = _figures(soak, producer, ledger, collector, fleet, logs, command_ids, started)
    print(f"\n{figures} produced_in={produced_in:.0f}s\ntimeline: {'; '.join(timeline)}")
    if logs.errors:
        print(f"handler errors: {dict(logs.errors.most_common(5))}")
    context = f"{figures}\nexits: {fleet.exits}\n{fleet.tail()}"
    if soak.broker_log is not None and soak.broker_log.exists():
        errors = [line for line in soak.broker_log.read_text().splitlines() if "ERROR" in line]
        context += "\n--- broker errors:\n" + "\n".join(errors[-10:])
    _verify(soak, ledger, collector, logs, command_ids, settled, context)
    return figures


def _figures(
    soak: Soak,
    producer: CommandProducer,
    ledger: Ledger,
    collector: EventCollector,
    fleet: Fleet,
    logs: WorkerLogs,
    command_ids: set[str],
    started: float,
) -> str:
    mine = {cid: ledger.commands[cid] for cid in command_ids if cid in ledger.commands}
    applied = sum(1 for status, _, _ in mine.values() if status == "applied")
    rejected = sum(1 for status, _, _ in mine.values() if status == "rejected")
    received = sum(collector.received[event_id] for event_id in ledger.outbox_ids)
    unique = len(ledger.outbox_ids & collector.received.keys())
    foreign = len(collector.received.keys() - ledger.outbox_ids)
    return (
        f"SOAK {soak.label}: sent={len(command_ids)} resent={producer.resent} "
        f"applied={applied} rejected={rejected} unsettled={len(command_ids) - len(mine)} "
        f"events={ledger.outbox_rows} unpublished={ledger.unpublished} received={received} "
        f"duplicates_suppressed={received - unique} "
        f"lost={len(ledger.outbox_ids - collector.received.keys())} "
        f"foreign_events={foreign} "
        f"duplicates_suppressed_commands={logs.duplicates} redeliveries={logs.redeliveries} "
        f"handler_errors={logs.errors.total()} "
        f"worker_kills={fleet.kills} "
        f"worker_exits={len(fleet.exits)} broker_kills={soak.broker_kills} "
        f"db_restarts={soak.db_restarts} seconds={time.monotonic() - started:.0f}"
    )


def _verify(
    soak: Soak,
    ledger: Ledger,
    collector: EventCollector,
    logs: WorkerLogs,
    command_ids: set[str],
    settled: bool,
    context: str,
) -> None:
    reason = None if settled else soak.stuck()
    if reason is not None:
        # Only this broker bug, recognised by its own log line, is tolerated; any other
        # way of not completing fails below.
        pytest.xfail(f"the stream cannot complete: {reason}")
    missing = sorted(command_ids - ledger.commands.keys())
    assert not missing, (
        f"{len(missing)} commands have no outcome (dead-lettered? see `alpes dlq`), "
        f"e.g. {missing[:5]}\n{context}"
    )
    rejected = {
        cid: (reason, message)
        for cid, (status, reason, message) in ledger.commands.items()
        if cid in command_ids and status != "applied"
    }
    assert not rejected, f"commands not applied: {sorted(rejected.items())[:20]}\n{context}"
    strangers = sorted(ledger.commands.keys() - command_ids)
    assert not strangers, f"outcomes for commands never sent: {strangers[:5]}\n{context}"
    wrong = {
        cid: state
        for cid, state in ledger.campaigns.items()
        if state != (FINAL_VERSION, FINAL_STATE)
    }
    assert len(ledger.campaigns) == CAMPAIGNS, context
    assert not wrong, f"campaigns not at ({FINAL_VERSION}, {FINAL_STATE}): {wrong}\n{context}"
    assert ledger.outbox_rows == len(command_ids), f"one event per command expected\n{context}"
    assert ledger.unpublished == 0, f"outbox rows never published\n{context}"
    lost = sorted(ledger.outbox_ids - collector.received.keys())
    assert not lost, f"{len(lost)} events never reached the consumer: {lost[:5]}\n{context}"
    assert collector.without_id == 0, f"events without an event_id property\n{context}"
    out_of_order = {
        campaign: versions
        for campaign, versions in collector.versions.items()
        if campaign in ledger.campaigns and versions != list(range(1, FINAL_VERSION + 1))
    }
    assert not out_of_order, (
        f"campaigns whose events first arrived out of aggregate_version order: "
        f"{dict(list(out_of_order.items())[:5])}\n{context}"
    )
    assert settled, f"not quiescent within {QUIESCE_TIMEOUT}s\n{context}"
    # An outage is ridden out inside the handler (application/retry.py); a handler that fails
    # instead gives its message back, spending one of its redeliveries per second of
    # outage, towards the dead-letter topic (and letting later commands overtake it).
    assert not logs.errors, (
        f"command handlers failed instead of riding the outage out: "
        f"{dict(logs.errors.most_common(5))}\n{context}"
    )


# ------------------------------------------------- 1. pulsar-lite + SQLite ---
@pytest.mark.pulsar_lite
async def test_lite_and_sqlite_survive_worker_and_broker_crashes(tmp_path: Path) -> None:
    """The embedded default's safe mode: one command worker at a time (pulsar-lite has no
    Key_Shared), the relay in its own process, a SQLite file."""
    database_url = f"sqlite:///{tmp_path / 'alpes.db'}"
    await upgrade(database_url)
    with running_pulsar_lite(tmp_path / "pulsar-lite") as lite:
        restarted_at = 0  # broker log offset at the last restart

        async def kill_broker() -> None:
            lite.kill()

        async def start_broker() -> None:
            nonlocal restarted_at
            await asyncio.to_thread(lite.start)
            restarted_at = lite.log_path.stat().st_size

        def stuck() -> str | None:
            """pulsar-lite 0.2.0 keeps the consumer of a connection that ended in a reset (a
            worker SIGKILLed with data unread in its socket): the restarted worker's
            subscribe is refused and the dead consumer's messages wait for a broker restart.
            Seen in about one run in three; see docs/failure-semantics.md, "Crash
            behaviour"."""
            with lite.log_path.open("rb") as log:
                log.seek(restarted_at)
                since = log.read().decode(errors="replace")
            if "already exists" not in since:
                return None
            return (
                "pulsar-lite kept a killed worker's consumer registered ('Consumer N already "
                "exists'); its messages wait for a broker restart (known pulsar-lite 0.2.0 bug)"
            )

        soak = Soak(
            label="lite+sqlite",
            broker_url=lite.url,
            flavor="lite",
            database_url=database_url,
            command_workers=1,
            pace=1.0,
            kill_broker=kill_broker,
            start_broker=start_broker,
            broker_log=lite.log_path,
            stuck=stuck,
        )
        await run_soak(soak, tmp_path)


# ------------------------------------------- 2. Apache Pulsar + PostgreSQL ---
@pytest.fixture
def private_postgres() -> Iterator[tuple[str, PostgresServer]]:
    """A throwaway PostgreSQL server of our own (not the suite's or CI's): its URL and its
    driver, to stop and start it."""
    if not POSTGRES_SCRIPT.exists():
        pytest.skip(f"{POSTGRES_SCRIPT} is missing")
    server = PostgresServer.private("alpes-soak-pg-")
    try:
        try:
            url = server.start()
        except PostgresError as error:
            reason = f"could not start a private PostgreSQL: {error}"
            if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
                pytest.fail(f"CI must run the soak on PostgreSQL, but {reason}")
            pytest.skip(reason)
        yield url, server
    finally:
        server.remove()


def drop_backlog(broker: RealBroker) -> None:
    """The broker is shared with the rest of the session: skip whatever earlier tests left
    unconsumed on the command subscription, so the workers see only this stream."""
    for topic in (COMMANDS_V2, *COMMAND_TOPICS.values()):
        local = topic.removeprefix("persistent://")
        with contextlib.suppress(urllib.error.HTTPError):  # 404: no such subscription yet
            broker.admin(
                "POST", f"/admin/v2/persistent/{local}/subscription/{SUBSCRIPTION}/skip_all"
            )


@pytest.mark.apache_pulsar
async def test_apache_pulsar_and_postgresql_survive_worker_broker_and_database_outages(
    apache_pulsar: RealBroker,
    private_postgres: tuple[str, PostgresServer],
    tmp_path: Path,
) -> None:
    """Two competing command workers (Key_Shared), the relay in its own process, the
    broker killed -9 and restarted, PostgreSQL stopped and restarted."""
    server_url, postgres = private_postgres
    database_url = await create_database(server_url)
    await upgrade(database_url)
    drop_backlog(apache_pulsar)

    async def kill_broker() -> None:
        await asyncio.to_thread(apache_pulsar.kill)

    async def start_broker() -> None:
        await asyncio.to_thread(apache_pulsar.start)

    async def restart_database() -> None:
        await asyncio.to_thread(postgres.stop)
        await asyncio.sleep(5)
        await asyncio.to_thread(postgres.start)

    soak = Soak(
        label="apache+postgresql",
        broker_url=apache_pulsar.url,
        flavor="apache",
        database_url=database_url,
        command_workers=2,
        pace=1.0,
        kill_broker=kill_broker,
        start_broker=start_broker,
        restart_database=restart_database,
    )
    try:
        await run_soak(soak, tmp_path)
    finally:
        if soak.broker_kills:
            # Session-scoped: the tests after this one need it up again.
            await asyncio.to_thread(apache_pulsar.start)
