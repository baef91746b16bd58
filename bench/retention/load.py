"""The load of a run: v2 commands at a steady rate. Each command's send time is kept by
its index, so that its event and its command-log row can be timed against it."""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from array import array
from dataclasses import dataclass, field

import pulsar
import pulsar.asyncio

from bench.broker.raw import close_client, raw_client
from bench.common import BenchError
from contracts.examples import example
from contracts.properties import COMMAND_ID, COMMAND_TYPE
from contracts.topics import COMMANDS_V2

CREATE, ADJUST = "crear-campana", "ajustar-presupuesto"
_SEED = json.loads(example(CREATE, 2))
_CURRENCY = _SEED["presupuesto"]["divisa"]  # a budget's currency never changes


def _floats() -> array[float]:
    return array("d")


@dataclass
class Load:
    """One run's commands. Of every command, ``create_share`` create a new campaign; the
    others adjust the budget of one of the ``pool`` campaigns created before the clock, so
    the campaigns table stays nearly flat and what grows is what retention is for."""

    rate: float
    create_share: float
    pool: int
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    sent_at: array[float] = field(default_factory=_floats)  # epoch seconds, by index
    event_at: array[float] = field(default_factory=_floats)  # its v2 event received
    processed_at: array[float] = field(default_factory=_floats)  # its command-log row
    failures: int = 0

    @property
    def prefix(self) -> str:
        return f"r-{self.tag}-"

    def index_of(self, command_id: str) -> int | None:
        if not command_id.startswith(self.prefix):
            return None
        return int(command_id[len(self.prefix) :])

    def pool_campaign(self, j: int) -> str:
        return f"c-{self.tag}-p{j}"

    def command(self, i: int) -> tuple[str, str, bytes]:
        """The i-th command: (command type, campaign id, body). Creates are spread evenly;
        each adjustment sets a budget the campaign never had, so it is never a no-op."""
        if math.floor((i + 1) * self.create_share) > math.floor(i * self.create_share):
            campaign = f"c-{self.tag}-{i}"
            return CREATE, campaign, create_body(campaign)
        campaign = self.pool_campaign(i % self.pool)
        budget = {"monto": f"{100_000 + i}.00", "divisa": _CURRENCY}
        body = json.dumps({"campana_id": campaign, "presupuesto": budget}).encode()
        return ADJUST, campaign, body


def create_body(campaign: str) -> bytes:
    return json.dumps(_SEED | {"campana_id": campaign}, ensure_ascii=False).encode()


async def _producer(client: pulsar.asyncio.Client) -> pulsar.asyncio.Producer:
    # Batching with a 1 ms window, as a busy client service would send; the window is
    # part of the measured latency.
    return await client.create_producer(
        COMMANDS_V2,
        batching_enabled=True,
        batching_max_publish_delay_ms=1,
        max_pending_messages=10_000,
        block_if_queue_full=False,
    )


async def create_pool(url: str, load: Load) -> None:
    """The pool's campaigns, all sent at once (the warm-up, before the clock)."""
    client = raw_client(url)
    try:
        producer = await _producer(client)
        sends = [
            producer.send(
                create_body(load.pool_campaign(j)),
                properties={COMMAND_ID: f"w-{load.tag}-{j}", COMMAND_TYPE: CREATE},
                partition_key=load.pool_campaign(j),
            )
            for j in range(load.pool)
        ]
        results = await asyncio.gather(*sends, return_exceptions=True)
        await producer.close()
    finally:
        await close_client(client)
    failed = [r for r in results if not isinstance(r, pulsar.MessageId)]
    if failed:
        raise BenchError(f"{len(failed)} of {load.pool} pool creates failed: {failed[0]!r}")


async def send_steadily(url: str, load: Load, seconds: float) -> None:
    """``load.rate`` commands per second for ``seconds``: every tick, those due by then."""
    client = raw_client(url)
    try:
        producer = await _producer(client)
        pending: set[asyncio.Future[pulsar.MessageId]] = set()

        def settled(send: asyncio.Future[pulsar.MessageId]) -> None:
            pending.discard(send)
            if send.cancelled() or send.exception() is not None:
                load.failures += 1

        started = time.monotonic()
        i = 0
        while (now := time.monotonic() - started) < seconds:
            while i < int(now * load.rate):
                command_type, campaign, body = load.command(i)
                load.sent_at.append(time.time())
                load.event_at.append(math.nan)
                load.processed_at.append(math.nan)
                send = asyncio.ensure_future(
                    producer.send(
                        body,
                        properties={COMMAND_ID: f"{load.prefix}{i}", COMMAND_TYPE: command_type},
                        partition_key=campaign,
                    )
                )
                pending.add(send)
                send.add_done_callback(settled)
                i += 1
            await asyncio.sleep(0.005)
        if pending:
            await asyncio.wait(pending, timeout=60)
        await producer.close()
    finally:
        await close_client(client)
