"""A producing service's in-order stream on the v2 contract, and what a consuming service
sees of it, with nothing but pulsar-client: many campaigns, each with the same eleven-
command story, every command type interleaved with the other campaigns', sent as fast as
the client sends; then each campaign's events read back from the v2 event stream."""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulsar
import pulsar.asyncio

from contracts import properties as p
from contracts.examples import example
from contracts.topics import COMMANDS_V2, EVENTS_V2

_LOG = logging.getLogger("pulsar.client.ordered")

# (command, what it changes), in the order a campaign's commands are sent.
STORY: tuple[tuple[str, str], ...] = (
    ("crear-campana", "campana-creada"),
    ("activar-campana", "campana-activada"),
    ("agregar-participante", "participante-agregado"),
    ("pausar-campana", "campana-pausada"),
    ("ajustar-presupuesto", "presupuesto-ajustado"),
    ("reanudar-campana", "campana-reanudada"),
    ("retirar-participante", "participante-retirado"),  # the one just added
    ("agregar-participante", "participante-agregado"),  # the same one, again
    ("ajustar-presupuesto", "presupuesto-ajustado"),
    ("retirar-participante", "participante-retirado"),  # one the campaign began with
    ("finalizar-campana", "campana-finalizada"),
)
EXPECTED_EVENTS = [event for _, event in STORY]


@dataclass(frozen=True)
class Sent:
    command_id: str
    command_type: str
    campana_id: str
    body: bytes


def story(run: str, n: int) -> list[Sent]:
    """Campaign ``n``'s eleven commands, each valid only after the one before it."""
    campaign = f"c-{run}-{n:05d}"
    added = {"id": f"p-{run}-{n}", "tipo": "Influencer", "nombre": "Bruno Diaz"}
    budgets = iter(("16000.00", "17000.50"))
    removed = iter((added["id"], "p-54321"))
    commands: list[Sent] = []
    for step, (command, _) in enumerate(STORY):
        body: dict[str, Any] = {"campana_id": campaign}
        if command == "crear-campana":
            body = json.loads(example(command, 2)) | body
        elif command == "agregar-participante":
            body["participante"] = added
        elif command == "ajustar-presupuesto":
            body["presupuesto"] = {"monto": next(budgets), "divisa": "USD"}
        elif command == "retirar-participante":
            body["participante_id"] = next(removed)
        commands.append(
            Sent(f"{campaign}-{step:02d}", command, campaign, json.dumps(body).encode())
        )
    return commands


def interleaved(stories: Sequence[list[Sent]]) -> list[Sent]:
    """Step by step across campaigns: command k of every campaign, then command k + 1."""
    return [commands[step] for step in range(len(STORY)) for commands in stories]


async def send_all(url: str, commands: Sequence[Sent], *, in_flight: int = 1000) -> float:
    """Send every command on the v2 stream, in this order, as fast as the client goes
    (many sends in flight, key-based batching as the contract asks); seconds taken."""
    client = pulsar.asyncio.Client(url, logger=_LOG, operation_timeout_seconds=30)
    started = time.monotonic()
    try:
        producer = await client.create_producer(
            COMMANDS_V2,
            batching_enabled=True,
            batching_type=pulsar.BatchingType.KeyBased,
            batching_max_publish_delay_ms=5,
            max_pending_messages=in_flight,
            block_if_queue_full=False,
        )
        slots = asyncio.Semaphore(in_flight)
        sends: list[asyncio.Future[pulsar.MessageId]] = []
        for command in commands:
            await slots.acquire()
            # Tasks start in creation order: send_async is called in the order sent.
            send = asyncio.ensure_future(
                producer.send(
                    command.body,
                    properties={
                        p.COMMAND_ID: command.command_id,
                        p.COMMAND_TYPE: command.command_type,
                        p.CORRELATION_ID: command.campana_id,
                    },
                    partition_key=command.campana_id,
                )
            )
            send.add_done_callback(lambda _: slots.release())
            sends.append(send)
        await asyncio.gather(*sends)
        await producer.close()
    finally:
        with contextlib.suppress(Exception):
            await client.close()
    return time.monotonic() - started


@dataclass
class EventStream:
    """A consuming service on the v2 event stream: each campaign's events in the order
    they first arrive (a repeat, same event_id, is noted and dropped)."""

    url: str
    subscription: str
    by_campaign: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    repeats: int = 0
    rejections: dict[str, dict[str, Any]] = field(default_factory=dict)  # command_id -> body
    _client: pulsar.asyncio.Client | None = None
    _consumer: pulsar.asyncio.Consumer | None = None
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._client = pulsar.asyncio.Client(self.url, logger=_LOG, operation_timeout_seconds=30)
        consumer = await self._client.subscribe(
            EVENTS_V2,
            self.subscription,
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        self._consumer = consumer
        self._task = asyncio.create_task(self._receive(consumer))

    async def _receive(self, consumer: pulsar.asyncio.Consumer) -> None:
        while True:
            message = await consumer.receive()
            properties = message.properties()
            event_id = properties.get(p.EVENT_ID, "")
            if event_id in self.seen:
                self.repeats += 1
            else:
                self.seen.add(event_id)
                kind = properties.get(p.EVENT_TYPE, "")
                if kind == "comando-rechazado":
                    body = json.loads(message.data())
                    self.rejections[body["command_id"]] = body
                else:
                    version = int(properties.get(p.AGGREGATE_VERSION, "0"))
                    campaign = message.partition_key()
                    self.by_campaign.setdefault(campaign, []).append((version, kind))
            await consumer.acknowledge(message)

    def events_of(self, campaigns: Sequence[str]) -> int:
        return sum(len(self.by_campaign.get(c, [])) for c in campaigns)

    def out_of_order(self, campaigns: Sequence[str]) -> dict[str, list[tuple[int, str]]]:
        """The campaigns whose events did not arrive as the story says, in order."""
        expected = [(v, e) for v, e in enumerate(EXPECTED_EVENTS, start=1)]
        return {
            c: self.by_campaign.get(c, []) for c in campaigns if self.by_campaign.get(c) != expected
        }

    async def wait_for(self, count: int, campaigns: Sequence[str], timeout: float) -> float:
        """Seconds until ``count`` events of ``campaigns`` arrived (TimeoutError after
        ``timeout``)."""
        started = time.monotonic()
        async with asyncio.timeout(timeout):
            while self.events_of(campaigns) < count:
                await asyncio.sleep(0.05)
        return time.monotonic() - started

    async def close(self) -> None:
        # Never cancel a pending receive (pulsar-client would deliver into a dead future):
        # closing the consumer ends it, and the receiving task with it.
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                await self._consumer.close()
        if self._task is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._task, 10)
        if self._client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._client.close(), 15)
