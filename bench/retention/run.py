"""One run: its service started, the pool created, then the steady load with the database
sampled every few seconds."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.common import BenchError, say
from bench.pipeline.database import progress

from .events import EventListener
from .load import Load, create_pool, send_steadily
from .options import Options
from .stack import Stack
from .storage import Storage, read_processed, read_storage, table_bytes


@dataclass
class Sample:
    at: float  # seconds since the load started
    sent: int
    storage: Storage


@dataclass
class Run:
    name: str  # "on" | "off"
    stack: Stack
    load: Load
    samples: list[Sample] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # bytes per table at the end
    received: int = 0
    rejected: int = 0
    # Where the next read of the command log's processed_at starts: before any command.
    _since: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(minutes=1))

    async def warm_up(self, timeout: float = 180) -> None:
        """Create the pool; back when it is logged and every event of it is published, so
        the clock starts on a warm, idle service."""
        await create_pool(self.stack.broker.url, self.load)
        deadline = time.monotonic() + timeout
        while True:
            logged, pending = await progress(self.stack.engine)
            if logged >= self.load.pool and pending == 0:
                return
            self.stack.check()
            if time.monotonic() > deadline:
                raise BenchError(
                    f"{self.name}: after {timeout:g}s, {logged} of the pool's {self.load.pool} "
                    f"commands logged, {pending} events unpublished"
                )
            await asyncio.sleep(0.2)

    async def drive(self, opts: Options) -> None:
        listener = EventListener(self.stack.broker.url, self.load)
        await listener.start()
        try:
            started = time.monotonic()
            sending = asyncio.create_task(
                send_steadily(self.stack.broker.url, self.load, opts.seconds)
            )
            for at in sample_times(opts.seconds, opts.sample_every):
                while (left := started + at - time.monotonic()) > 0:
                    self.stack.check()
                    if sending.done():
                        sending.result()  # raises the sender's error, if any
                    await asyncio.sleep(min(left, 1.0))
                await self.sample(time.monotonic() - started)
            await sending
            # The last commands' events and rows, for their latencies.
            if not await listener.wait_for(len(self.load.sent_at), timeout=60):
                say(f"  {self.name}: {len(self.load.sent_at) - listener.received} events missing")
            self._since = await read_processed(self.stack.engine, self.load, self._since)
            self.tables = await table_bytes(self.stack.engine)
        finally:
            self.received, self.rejected = listener.received, listener.rejected
            await listener.stop()

    async def sample(self, at: float) -> None:
        self._since = await read_processed(self.stack.engine, self.load, self._since)
        storage = await read_storage(self.stack.engine, self.stack.url)
        self.samples.append(Sample(at, len(self.load.sent_at), storage))
        s = storage  # one line per run and sample as it goes; the tables come at the end
        say(
            f"  {at:5.0f} s  {self.name:<3}: outbox {s.outbox_published:,} published + "
            f"{s.outbox_pending:,} pending, command log {s.command_log:,}, used "
            f"{s.used_bytes / 1e6:.1f} MB, file {s.file_bytes / 1e6:.1f} MB"
        )


def sample_times(seconds: float, every: float) -> list[float]:
    """0, every, 2 every, ... and the end of the load."""
    times = [k * every for k in range(int(seconds // every) + 1)]
    return times if seconds - times[-1] < 1 else [*times, seconds]


def build_run(name: str, stack: Stack, opts: Options) -> Run:
    return Run(name, stack, Load(opts.rate, opts.create_share, opts.pool))
