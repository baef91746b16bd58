"""The one-at-a-time baseline, for comparison only: what a user following the seed project
writes. For each message: receive, decode the JSON, one database transaction (the campaign,
its outbox row and its command_log row: the same tables and rows as the service), commit,
a synchronous event send (batching off, awaited), then the acknowledgement.

    python -m bench.naive --pulsar-url URL --database-url URL --topic TOPIC --count N

The database must be migrated and the topic must hold at least N commands. Prints one
JSON line: ``{"naive_cmd_s": ..., "count": ..., "seconds": ..., "rss_peak_mb": ...}``.
Not the service: no validation, no idempotency, no outbox relay (the event is sent right
after the commit; the outbox row is written as already published).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pulsar
import pulsar.asyncio
from sqlalchemy import insert

from adapters.database.engine import create_engine
from adapters.database.schema import campaigns, command_log, outbox

CLIENT_LOGGER = logging.getLogger("pulsar.client")


async def run_naive(
    pulsar_url: str, database_url: str, topic: str, event_topic: str, count: int
) -> tuple[int, float]:
    """Handle ``count`` messages one at a time; returns (count, seconds from the first
    message received to the last acknowledgement)."""
    engine = create_engine(database_url)
    client = pulsar.asyncio.Client(pulsar_url, operation_timeout_seconds=30, logger=CLIENT_LOGGER)
    try:
        consumer = await client.subscribe(
            topic,
            "naive",
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
            receiver_queue_size=1000,
        )
        producer = await client.create_producer(event_topic, batching_enabled=False)
        started = 0.0
        for n in range(count):
            msg = await consumer.receive()
            if n == 0:
                started = time.perf_counter()
            body = json.loads(msg.data())
            properties = msg.properties()
            command_id = properties.get("command_id") or str(uuid.uuid4())
            campaign_id = body["id"]
            event_id = str(uuid.uuid4())
            now = datetime.now(UTC)
            payload = json.dumps(
                {"campana_id": campaign_id} | {k: v for k, v in body.items() if k != "id"}
            ).encode()
            event_properties = {
                "event_id": event_id,
                "event_type": "campana-creada",
                "command_id": command_id,
                "correlation_id": command_id,
            }
            async with engine.begin() as c:
                await c.execute(
                    insert(campaigns).values(
                        id=campaign_id,
                        version=1,
                        estado=body.get("estado", "draft"),
                        snapshot=body,
                        created_at=now,
                        updated_at=now,
                    )
                )
                await c.execute(
                    insert(outbox).values(
                        event_id=event_id,
                        topic=event_topic,
                        key=campaign_id,
                        payload=payload,
                        properties=event_properties,
                        created_at=now,
                        published_at=now,
                    )
                )
                await c.execute(
                    insert(command_log).values(
                        command_id=command_id,
                        command_type="crear-campana",
                        campana_id=campaign_id,
                        fingerprint=hashlib.sha256(msg.data()).hexdigest(),
                        status="applied",
                        event_ids=[event_id],
                        correlation_id=command_id,
                        processed_at=now,
                    )
                )
            await producer.send(payload, properties=event_properties, partition_key=campaign_id)
            await consumer.acknowledge(msg)
        elapsed = time.perf_counter() - started
        await consumer.close()
        await producer.close()
    finally:
        try:
            await client.close()
        except pulsar.asyncio.PulsarException:
            client.shutdown()
        await engine.dispose()
    return count, elapsed


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.naive", description=__doc__)
    p.add_argument("--pulsar-url", required=True)
    p.add_argument("--database-url", required=True)
    p.add_argument("--topic", required=True, help="the command topic holding the backlog")
    p.add_argument("--event-topic", default=None, help="where events go (default: TOPIC-events)")
    p.add_argument("--count", type=int, required=True)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    count, seconds = asyncio.run(
        run_naive(
            args.pulsar_url,
            args.database_url,
            args.topic,
            args.event_topic or f"{args.topic}-events",
            args.count,
        )
    )
    print(
        json.dumps(
            {
                "naive_cmd_s": round(count / seconds, 1),
                "count": count,
                "seconds": round(seconds, 3),
                "rss_peak_mb": round(_peak_rss_mb(), 1),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
