"""The outbox relay: publishes committed outbox rows to their topics, in order per campaign.

One relay holds the lease at a time (others wait as hot standbys). It reads pending rows
in commit order, sends each campaign's rows one after another (each send confirmed by the
broker before the next), different campaigns concurrently, then marks the batch published.
A crash between a send and the mark sends those rows again: events carry a stable
``event_id`` so consumers drop the repeat.
"""

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database import outbox_store
from adapters.database.records import OutboxMessage, PendingMessage
from adapters.pulsar import PulsarBroker

log = logging.getLogger("alpes.relay")

LEASE = "outbox-relay"


class EventPublisher(Protocol):
    async def publish_event(self, message: OutboxMessage) -> None: ...


class BrokerEventPublisher:
    """Publishes outbox rows through the Pulsar broker adapter, bytes as stored."""

    def __init__(self, broker: PulsarBroker) -> None:
        self._broker = broker

    async def publish_event(self, message: OutboxMessage) -> None:
        await self._broker.publish(
            message.payload,
            message.topic,
            key=message.key,
            headers=message.properties,
            correlation_id=message.properties.get("correlation_id"),
        )


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        publisher: EventPublisher,
        *,
        batch_size: int = 500,
        concurrency: int = 512,
        idle_interval: float = 0.01,
        lease_ttl: float = 10.0,
    ) -> None:
        self._engine = engine
        self._publisher = publisher
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)
        self._idle_interval = idle_interval
        self._lease_ttl = lease_ttl
        self.owner = f"relay-{uuid.uuid4().hex[:12]}"
        self.published = 0

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.1
        loop = asyncio.get_running_loop()
        renew_at = 0.0  # the lease is renewed every third of its TTL, not every cycle
        while not stop.is_set():
            try:
                if loop.time() >= renew_at:
                    if not await outbox_store.hold_lease(
                        self._engine, LEASE, self.owner, self._lease_ttl
                    ):
                        await _wait(stop, self._lease_ttl / 3)
                        continue
                    renew_at = loop.time() + self._lease_ttl / 3
                sent = await self.relay_once()
                backoff = 0.1
                if sent == 0:
                    await _wait(stop, self._idle_interval)
            except Exception as error:
                renew_at = 0.0  # after an outage, make sure the lease is still ours
                log.warning("relay: %s; retrying in %.1fs", error, backoff)
                await _wait(stop, backoff)
                backoff = min(backoff * 2, 5.0)

    async def relay_once(self) -> int:
        """Publish one batch of pending rows; returns how many were published."""
        pending = await outbox_store.fetch_pending(self._engine, self._batch_size)
        if not pending:
            return 0
        by_campaign: dict[str, list[PendingMessage]] = defaultdict(list)
        for row in pending:
            by_campaign[row.message.key].append(row)
        results = await asyncio.gather(
            *(self._send_in_order(rows) for rows in by_campaign.values()),
            return_exceptions=True,
        )
        done = [s for result in results if not isinstance(result, BaseException) for s in result]
        await outbox_store.mark_published(self._engine, done)
        self.published += len(done)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        return len(done)

    async def _send_in_order(self, rows: Sequence[PendingMessage]) -> list[int]:
        sent: list[int] = []
        async with self._slots:
            for row in rows:
                try:
                    await self._publisher.publish_event(row.message)
                except Exception:
                    # Later rows of this campaign wait for this one: mark what went.
                    if sent:
                        await outbox_store.mark_published(self._engine, sent)
                        self.published += len(sent)
                    raise
                sent.append(row.seq)
        return sent


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
