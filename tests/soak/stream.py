"""What the soak tests drive and read: the command stream an outside service sends (a plain
pulsar-client producer that re-sends until the broker confirms), the worker processes
(tests.support.servers.workers) SIGKILLed and restarted like a process supervisor would, a
downstream consumer that deduplicates events by ``event_id``, and the service's tables read
back at the end."""

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulsar
import pulsar.asyncio
from sqlalchemy import select

from adapters.database.engine import create_engine
from adapters.database.schema import campaigns, command_log, outbox
from contracts import properties as p
from contracts.examples import example
from contracts.topics import COMMANDS_V2, EVENTS_V2
from tests.support.servers.workers import Worker

_CLIENT_LOG = logging.getLogger("pulsar.client.soak")

# Per campaign, published in this order; the campaign ends at version 5, paused.
STEPS = (
    "crear-campana",
    "activar-campana",
    "agregar-participante",
    "ajustar-presupuesto",
    "pausar-campana",
)
FINAL_VERSION = len(STEPS)
FINAL_STATE = "paused"


# ------------------------------------------------------------------ the stream ---
@dataclass(frozen=True)
class Command:
    name: str
    campana_id: str
    command_id: str
    body: bytes


def campaign_commands(run: str, n: int) -> list[Command]:
    """The five commands of campaign ``n``: the v2 contract's example bodies with this
    campaign's id and participant ids no other campaign uses."""
    campana_id = f"c-soak-{run}-{n:05d}"
    bodies: dict[str, dict[str, Any]] = {
        name: json.loads(example(name, 2)) | {"campana_id": campana_id} for name in STEPS
    }
    crear = bodies["crear-campana"]
    crear["participantes"] = [
        participante | {"id": f"p-{run}-{n}-{i}"}
        for i, participante in enumerate(crear["participantes"])
    ]
    agregar = bodies["agregar-participante"]
    assert isinstance(agregar["participante"], dict)
    agregar["participante"] = agregar["participante"] | {"id": f"p-{run}-{n}-new"}
    return [
        Command(name, campana_id, f"soak-{run}-{n:05d}-{name}", json.dumps(bodies[name]).encode())
        for name in STEPS
    ]


class CommandProducer:
    """An at-least-once producer on the v2 command stream, as a client service writes one:
    every send is awaited, and one that fails (broker gone, send timeout) is sent again
    with the same ``command_id`` until the broker confirms it; a campaign's next command
    is sent only then, so the stream holds its commands in order. ``resent`` counts those
    re-sends; a send that timed out after the broker stored it reaches the service twice,
    which is what the command id is for."""

    _GONE = {
        pulsar.Result.AlreadyClosed,
        pulsar.Result.ProducerNotInitialized,
        pulsar.Result.ProducerFenced,
    }

    def __init__(self, url: str, send_timeout: float = 10.0) -> None:
        self._url = url
        self._send_timeout = send_timeout
        self._client: pulsar.asyncio.Client | None = None
        self._producer_: pulsar.asyncio.Producer | None = None
        self._lock = asyncio.Lock()
        self.resent = 0
        self.errors: Counter[str] = Counter()

    async def __aenter__(self) -> "CommandProducer":
        self._client = pulsar.asyncio.Client(
            self._url, logger=_CLIENT_LOG, operation_timeout_seconds=10
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._client is not None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._client.close(), 15)

    async def _producer(self) -> pulsar.asyncio.Producer:
        assert self._client is not None
        async with self._lock:
            if self._producer_ is None:
                self._producer_ = await self._client.create_producer(
                    COMMANDS_V2,
                    batching_enabled=False,
                    block_if_queue_full=False,  # a full queue fails the send: re-sent
                    send_timeout_millis=int(self._send_timeout * 1000),
                )
            return self._producer_

    async def send(self, command: Command) -> None:
        attempt = 0
        while True:
            try:
                producer = await self._producer()
            except Exception as error:  # broker down: no send happened yet
                self.errors[type(error).__name__] += 1
                await asyncio.sleep(0.5)
                continue
            try:
                await producer.send(
                    command.body,
                    properties={p.COMMAND_ID: command.command_id, p.COMMAND_TYPE: command.name},
                    partition_key=command.campana_id,
                )
            except Exception as error:
                attempt += 1
                self.resent += 1
                self.errors[type(error).__name__] += 1
                if isinstance(error, pulsar.asyncio.PulsarException) and (
                    error.error() in self._GONE
                ):
                    async with self._lock:
                        if self._producer_ is producer:
                            self._producer_ = None
                await asyncio.sleep(min(0.2 * attempt, 2.0))
                continue
            return

    async def send_campaigns(self, batch: list[list[Command]]) -> None:
        """Each step of every campaign in ``batch`` at once, one step after the other: a
        campaign's commands are published in order, campaigns interleave."""
        for step in range(len(STEPS)):
            await asyncio.gather(*(self.send(commands[step]) for commands in batch))


# --------------------------------------------------------------------- workers ---
@dataclass
class Fleet:
    """The worker processes of a run, restarted like a supervisor (compose's
    ``restart: unless-stopped``) would: ``kill`` is a crash we cause and restart;
    a worker that exits by itself is counted in ``exits`` and restarted too."""

    workers: dict[str, Worker]
    kills: int = 0
    exits: list[str] = field(default_factory=list)
    _held: set[str] = field(default_factory=set)

    def start(self) -> None:
        for worker in self.workers.values():
            worker.start()

    async def kill(self, *names: str, down_for: float = 1.0) -> None:
        self._held.update(names)
        try:
            for name in names:
                self.workers[name].kill()
                self.kills += 1
            await asyncio.sleep(down_for)
            for name in names:
                self.workers[name].start()
        finally:
            self._held.difference_update(names)

    async def supervise(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for name, worker in self.workers.items():
                if name in self._held or worker.running or worker.process is None:
                    continue
                self.exits.append(f"{name} exited with {worker.process.returncode}")
                worker.start()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 2.0)

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.kill()

    def tail(self, lines: int = 15) -> str:
        parts = []
        for name, worker in self.workers.items():
            text = worker.log.read_text(errors="replace").splitlines()
            parts.append(f"--- {name} ({worker.log}):\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)


_HANDLER_ERROR = re.compile(r" ERROR alpes\.broker: (?P<what>[^\n]{0,120})")
_HANDLED = re.compile(
    r" alpes\.commands: (?P<type>[a-z-]+) (?P<id>\S+): (?P<outcome>applied|duplicate|"
    r"rejected)"
)


@dataclass
class WorkerLogs:
    """What the command workers' INFO logs say about each handling of a command."""

    handled: int = 0  # handlings that reached an outcome
    distinct: int = 0  # command ids handled at least once
    applied: int = 0
    duplicates: int = 0  # ": duplicate": a redelivered or re-sent command already applied
    rejected: int = 0
    # Handler failures FastStream logged (each one a nack, i.e. a spent redelivery),
    # by message: a database outage should be ridden out in the handler instead.
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def redeliveries(self) -> int:
        return self.handled - self.distinct

    @classmethod
    def read(cls, logs: Iterable[Path]) -> "WorkerLogs":
        figures = cls()
        ids: set[str] = set()
        for log in logs:
            text = log.read_text(errors="replace")
            figures.errors.update(m["what"] for m in _HANDLER_ERROR.finditer(text))
            for match in _HANDLED.finditer(text):
                figures.handled += 1
                ids.add(match["id"])
                outcome = match["outcome"]
                if outcome == "applied":
                    figures.applied += 1
                elif outcome == "duplicate":
                    figures.duplicates += 1
                else:
                    figures.rejected += 1
        figures.distinct = len(ids)
        return figures


# ------------------------------------------------------------------ downstream ---
class EventCollector:
    """A downstream consumer written with plain pulsar-client: one consumer of the v2
    event stream, from the earliest message, acknowledging each message, deduplicating by
    the ``event_id`` property and noting, per campaign, the aggregate_version of each
    event the first time it arrives. Subscribes before the stream starts and keeps
    receiving through broker restarts."""

    def __init__(self, url: str, subscription: str) -> None:
        self._url = url
        self._subscription = subscription
        self._client: pulsar.asyncio.Client | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.received: Counter[str] = Counter()  # event_id -> deliveries
        self.versions: dict[str, list[int]] = {}  # campaign -> versions, first arrivals
        self.without_id = 0
        self.errors: Counter[str] = Counter()

    async def start(self) -> None:
        self._client = pulsar.asyncio.Client(
            self._url, logger=_CLIENT_LOG, operation_timeout_seconds=30
        )
        consumer = await self._client.subscribe(
            EVENTS_V2,
            self._subscription,
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        self._tasks.append(asyncio.create_task(self._receive(consumer)))

    async def _receive(self, consumer: pulsar.asyncio.Consumer) -> None:
        while True:
            try:
                message = await consumer.receive()
            except pulsar.asyncio.PulsarException as error:
                self.errors[str(error.error())] += 1
                await asyncio.sleep(0.5)
                continue
            properties = message.properties()
            event_id = properties.get(p.EVENT_ID)
            if event_id:
                if event_id not in self.received and p.AGGREGATE_VERSION in properties:
                    versions = self.versions.setdefault(message.partition_key(), [])
                    versions.append(int(properties[p.AGGREGATE_VERSION]))
                self.received[event_id] += 1
            else:
                self.without_id += 1
            try:
                await consumer.acknowledge(message)
            except pulsar.asyncio.PulsarException as error:
                # Lost ack: the message comes again, and the event id makes it harmless.
                self.errors[f"ack {error.error()}"] += 1

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._client.close(), 15)


# -------------------------------------------------------------------- the ledger ---
@dataclass
class Ledger:
    """The service's write side as the database holds it (the v2 stream's outbox rows:
    each event is also written once more for the v1 topics)."""

    commands: dict[str, tuple[str, str | None, str | None]]  # id -> (status, reason, message)
    outbox_ids: set[str]
    outbox_rows: int
    unpublished: int
    campaigns: dict[str, tuple[int, str]]  # id -> (version, estado)

    @classmethod
    async def read(cls, database_url: str) -> "Ledger":
        engine = create_engine(database_url)
        try:
            async with engine.connect() as c:
                logged = (
                    await c.execute(
                        select(
                            command_log.c.command_id,
                            command_log.c.status,
                            command_log.c.reason,
                            command_log.c.message,
                        )
                    )
                ).all()
                rows = (
                    await c.execute(
                        select(outbox.c.event_id, outbox.c.published_at).where(
                            outbox.c.topic == EVENTS_V2
                        )
                    )
                ).all()
                states = (
                    await c.execute(select(campaigns.c.id, campaigns.c.version, campaigns.c.estado))
                ).all()
        finally:
            await engine.dispose()
        return cls(
            commands={r.command_id: (r.status, r.reason, r.message) for r in logged},
            outbox_ids={r.event_id for r in rows},
            outbox_rows=len(rows),
            unpublished=sum(1 for r in rows if r.published_at is None),
            campaigns={r.id: (r.version, r.estado) for r in states},
        )


async def wait_quiescent(
    database_url: str,
    command_ids: set[str],
    collector: EventCollector,
    timeout: float,
    stuck: Callable[[], str | None] = lambda: None,
    patience: float = 30.0,
) -> tuple[Ledger | None, bool]:
    """Wait until every command has its outcome, the outbox is empty and the downstream
    consumer has every event; (the last ledger read, whether that happened). Gives up
    early when nothing has moved for ``patience`` seconds and ``stuck()`` names a reason
    nothing will."""
    deadline = time.monotonic() + timeout
    ledger: Ledger | None = None
    progress: tuple[int, int] = (-1, -1)
    moved = time.monotonic()
    while True:
        with contextlib.suppress(Exception):  # the database may still be coming back
            ledger = await Ledger.read(database_url)
        if (
            ledger is not None
            and command_ids <= ledger.commands.keys()
            and ledger.unpublished == 0
            and ledger.outbox_ids <= collector.received.keys()
        ):
            return ledger, True
        now = time.monotonic()
        seen = (len(ledger.commands) if ledger else -1, collector.received.total())
        if seen != progress:
            progress, moved = seen, now
        if now > deadline or (now - moved > patience and stuck() is not None):
            return ledger, False
        await asyncio.sleep(1.0)
