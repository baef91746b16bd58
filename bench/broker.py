"""Adapter overhead benchmark: the FastStream Pulsar broker against raw ``pulsar.asyncio``.

Run from the repository root::

    python -m bench.broker                      # pulsar-lite, then Apache Pulsar if it starts
    python -m bench.broker --messages 5000 --repeats 1 --no-apache

For each broker (pulsar-lite always; Apache Pulsar standalone when it can be started, or
the one ``ALPES_BENCH_APACHE_URL`` points to) and on fresh topics, it measures

* ``consume``: N messages already on a topic, timed from subscribe until the N-th
  message has been through receive -> handler -> acknowledge; adapter = a FastStream
  subscriber with ``async def handle(body: bytes)``; raw = a loop of
  ``await consumer.receive()`` / ``await consumer.acknowledge(msg)`` on a consumer
  subscribed with the options the adapter uses;
* ``publish``: N one-message publishes with a bounded number in flight, timed from
  producer creation until every send is confirmed; adapter = ``broker.publish``,
  raw = ``producer.send`` with batching off (as the adapter's producer);
* ``publish_batch``: ``broker.publish_batch(*N bodies)`` against raw sends started in
  order under the same in-flight bound and gathered.

Each measurement is repeated (``--repeats``), adapter and raw runs alternate, and the
medians are reported. The last lines of the output are JSON objects, one per
(broker, measurement); nothing is printed after them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulsar
import pulsar.asyncio

from adapters.embedded_pulsar import EmbeddedPulsar, free_port
from adapters.pulsar import APACHE_PULSAR, PULSAR_LITE, BrokerCapabilities, PulsarBroker
from adapters.pulsar.options import DeadLetterPolicy

ROOT = Path(__file__).resolve().parents[1]
STANDALONE_SCRIPT = ROOT / "infra" / "pulsar-standalone" / "pulsar-standalone"
APACHE_URL_ENV = "ALPES_BENCH_APACHE_URL"

LITE = "pulsar-lite"
APACHE = "apache-pulsar"
MEASUREMENTS = ("consume", "publish", "publish_batch")
SUBSCRIPTION = "bench"

# The C++ client logs through this logger (the adapter hands it over, and so do we).
CLIENT_LOGGER = logging.getLogger("pulsar.client")
# FastStream logs every message at INFO: give the adapter a logger that drops them,
# as a production set-up logging at WARNING would.
ADAPTER_LOGGER = logging.getLogger("bench.faststream")

# What the adapter passes to pulsar-client (see adapters/pulsar), so that raw runs use
# the same client, consumer and producer settings.
OPERATION_TIMEOUT_S = 30
CONNECT_TIMEOUT_MS = 10_000
SEND_TIMEOUT_MS = 30_000
NEGATIVE_ACK_DELAY_MS = 1_000
DEFAULT_DEAD_LETTER = DeadLetterPolicy()


def say(text: str = "") -> None:
    print(text, flush=True)


# ------------------------------------------------------------------ settings ---


@dataclass(frozen=True)
class Settings:
    messages: int
    size: int
    repeats: int
    concurrency: int
    receiver_queue_size: int
    warmup: int
    run_timeout: float
    measurements: tuple[str, ...]

    @property
    def payload(self) -> bytes:
        # Not all zeros, in case anything on the way compresses.
        return (os.urandom(16).hex().encode() * (self.size // 32 + 1))[: self.size]


@dataclass
class Target:
    name: str
    url: str
    capabilities: BrokerCapabilities
    messages: int


@dataclass
class Result:
    broker: str
    measurement: str
    messages: int
    size: int
    adapter: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    # CPU microseconds per message of this process (all threads) and of its main
    # (event-loop) thread, per run: less disturbed than msg/s by a busy machine.
    adapter_cpu: list[float] = field(default_factory=list)
    raw_cpu: list[float] = field(default_factory=list)
    adapter_loop_cpu: list[float] = field(default_factory=list)
    raw_loop_cpu: list[float] = field(default_factory=list)

    def add(self, side: str, rate: float, cpu_us: float, loop_cpu_us: float) -> None:
        getattr(self, side).append(rate)
        getattr(self, f"{side}_cpu").append(cpu_us)
        getattr(self, f"{side}_loop_cpu").append(loop_cpu_us)

    @property
    def adapter_median(self) -> float:
        return statistics.median(self.adapter)

    @property
    def raw_median(self) -> float:
        return statistics.median(self.raw)

    @property
    def ratio(self) -> float:
        return self.adapter_median / self.raw_median

    def as_json(self) -> dict[str, Any]:
        return {
            "broker": self.broker,
            "measurement": self.measurement,
            "messages": self.messages,
            "size": self.size,
            "adapter_msg_s": round(self.adapter_median, 1),
            "raw_msg_s": round(self.raw_median, 1),
            "ratio": round(self.ratio, 3),
            "repeats": len(self.adapter),
            "adapter_runs_msg_s": [round(v, 1) for v in self.adapter],
            "raw_runs_msg_s": [round(v, 1) for v in self.raw],
            "adapter_cpu_us_msg": round(statistics.median(self.adapter_cpu), 1),
            "raw_cpu_us_msg": round(statistics.median(self.raw_cpu), 1),
            "adapter_loop_cpu_us_msg": round(statistics.median(self.adapter_loop_cpu), 1),
            "raw_loop_cpu_us_msg": round(statistics.median(self.raw_loop_cpu), 1),
        }


class BenchError(RuntimeError):
    pass


def fresh_topic(broker: str, what: str) -> str:
    return f"persistent://public/default/bench-{broker}-{what}-{uuid.uuid4().hex[:10]}"


# ------------------------------------------------------------ raw pulsar.asyncio ---


def raw_client(url: str) -> pulsar.asyncio.Client:
    return pulsar.asyncio.Client(
        url,
        operation_timeout_seconds=OPERATION_TIMEOUT_S,
        connection_timeout_ms=CONNECT_TIMEOUT_MS,
        logger=CLIENT_LOGGER,
    )


async def close_client(client: pulsar.asyncio.Client) -> None:
    try:
        await client.close()
    except pulsar.asyncio.PulsarException:
        await asyncio.to_thread(client.shutdown)


async def raw_producer(
    client: pulsar.asyncio.Client, topic: str, concurrency: int
) -> pulsar.asyncio.Producer:
    # The adapter's producer: batching off, pending queue = the in-flight bound, so a
    # send is never dropped for a full queue (and a drop would raise, not vanish).
    return await client.create_producer(
        topic,
        send_timeout_millis=SEND_TIMEOUT_MS,
        max_pending_messages=concurrency,
        block_if_queue_full=False,
        batching_enabled=False,
    )


async def raw_consume(target: Target, s: Settings, topic: str, n: int) -> float:
    client = raw_client(target.url)
    try:
        started = time.perf_counter()
        # The consumer options the adapter's subscriber uses (subscriber/usecase.py).
        consumer = await client.subscribe(
            topic,
            SUBSCRIPTION,
            consumer_type=pulsar.ConsumerType.Shared,
            receiver_queue_size=s.receiver_queue_size,
            negative_ack_redelivery_delay_ms=NEGATIVE_ACK_DELAY_MS,
            initial_position=pulsar.InitialPosition.Earliest,
            batch_index_ack_enabled=False,
            dead_letter_policy=pulsar.ConsumerDeadLetterPolicy(
                max_redeliver_count=DEFAULT_DEAD_LETTER.max_redeliveries + 1
            ),
        )
        received = 0
        size = 0
        while received < n:
            # Never cancelled while pending: the whole run has one deadline, and a
            # missed deadline fails the benchmark anyway.
            msg = await consumer.receive()
            size += len(msg.data())
            received += 1
            await consumer.acknowledge(msg)
        elapsed = time.perf_counter() - started
        if size != n * s.size:
            raise BenchError(f"raw consume got {size} bytes, expected {n * s.size}")
        await consumer.close()
    finally:
        await close_client(client)
    return n / elapsed


async def raw_publish(target: Target, s: Settings, topic: str, n: int) -> float:
    payload = s.payload
    client = raw_client(target.url)
    confirmed = 0
    try:
        started = time.perf_counter()
        producer = await raw_producer(client, topic, s.concurrency)
        remaining = iter(range(n))

        async def sender() -> None:
            nonlocal confirmed
            for _ in remaining:
                message_id = await producer.send(payload)  # raises on any failure
                if not isinstance(message_id, pulsar.MessageId):
                    raise BenchError(f"raw send returned {message_id!r}")
                confirmed += 1

        await asyncio.gather(*(sender() for _ in range(min(s.concurrency, n))))
        elapsed = time.perf_counter() - started
        await producer.close()
    finally:
        await close_client(client)
    if confirmed != n:
        raise BenchError(f"raw publish confirmed {confirmed} of {n}")
    return n / elapsed


async def raw_publish_batch(target: Target, s: Settings, topic: str, n: int) -> float:
    payload = s.payload
    client = raw_client(target.url)
    try:
        started = time.perf_counter()
        producer = await raw_producer(client, topic, s.concurrency)
        in_flight = asyncio.Semaphore(s.concurrency)
        sends: list[asyncio.Future[pulsar.MessageId]] = []
        for _ in range(n):
            await in_flight.acquire()
            send = asyncio.ensure_future(producer.send(payload))
            send.add_done_callback(lambda _: in_flight.release())
            sends.append(send)
        results = await asyncio.gather(*sends, return_exceptions=True)
        elapsed = time.perf_counter() - started
        await producer.close()
    finally:
        await close_client(client)
    failures = [r for r in results if not isinstance(r, pulsar.MessageId)]
    if failures:
        raise BenchError(f"raw batch: {len(failures)} of {n} sends failed, e.g. {failures[0]!r}")
    return n / elapsed


# ----------------------------------------------------------------- the adapter ---


def adapter_broker(target: Target, s: Settings) -> PulsarBroker:
    return PulsarBroker(
        target.url,
        capabilities=target.capabilities,
        max_in_flight_sends=s.concurrency,
        logger=ADAPTER_LOGGER,
        graceful_timeout=10.0,
    )


async def adapter_consume(target: Target, s: Settings, topic: str, n: int) -> float:
    broker = adapter_broker(target, s)
    done = asyncio.Event()
    handled = 0
    size = 0

    @broker.subscriber(
        topic,
        subscription=SUBSCRIPTION,
        max_workers=1,
        receiver_queue_size=s.receiver_queue_size,
    )
    async def handle(body: bytes) -> None:
        nonlocal handled, size
        size += len(body)
        handled += 1
        if handled == n:
            done.set()

    await broker.connect()  # the client, as raw runs create theirs before the clock starts
    try:
        started = time.perf_counter()
        await broker.start()  # subscribes and starts the receive loop
        try:
            await asyncio.wait_for(done.wait(), s.run_timeout)
        except TimeoutError:
            raise BenchError(
                f"adapter consume handled {handled} of {n} in {s.run_timeout:g}s"
            ) from None
        # The handler of the N-th message has returned; its acknowledgement follows at once.
        elapsed = time.perf_counter() - started
    finally:
        await broker.stop()
    if handled != n or size != n * s.size:
        raise BenchError(f"adapter consume handled {handled} messages ({size} bytes), expected {n}")
    return n / elapsed


async def adapter_publish(target: Target, s: Settings, topic: str, n: int) -> float:
    payload = s.payload
    broker = adapter_broker(target, s)
    await broker.start()
    confirmed = 0
    try:
        # The clock includes the producer's creation (on the first publish), as for raw.
        started = time.perf_counter()
        remaining = iter(range(n))

        async def sender() -> None:
            nonlocal confirmed
            for _ in remaining:
                message_id = await broker.publish(payload, topic)  # raises PublishError
                if not isinstance(message_id, pulsar.MessageId):
                    raise BenchError(f"broker.publish returned {message_id!r}")
                confirmed += 1

        await asyncio.gather(*(sender() for _ in range(min(s.concurrency, n))))
        elapsed = time.perf_counter() - started
    finally:
        await broker.stop()
    if confirmed != n:
        raise BenchError(f"adapter publish confirmed {confirmed} of {n}")
    return n / elapsed


async def adapter_publish_batch(target: Target, s: Settings, topic: str, n: int) -> float:
    bodies = [s.payload] * n
    broker = adapter_broker(target, s)
    await broker.start()
    try:
        started = time.perf_counter()
        message_ids = await broker.publish_batch(*bodies, topic=topic)  # raises PublishError
        elapsed = time.perf_counter() - started
    finally:
        await broker.stop()
    ok = sum(isinstance(m, pulsar.MessageId) for m in message_ids)
    if ok != n:
        raise BenchError(f"broker.publish_batch confirmed {ok} of {n}")
    return n / elapsed


Runner = Callable[[Target, Settings, str, int], Awaitable[float]]
RUNNERS: dict[str, dict[str, Runner]] = {
    "consume": {"adapter": adapter_consume, "raw": raw_consume},
    "publish": {"adapter": adapter_publish, "raw": raw_publish},
    "publish_batch": {"adapter": adapter_publish_batch, "raw": raw_publish_batch},
}


# ---------------------------------------------------------------- one broker ---


def sides(repeat: int) -> tuple[str, str]:
    """Adapter and raw alternate, and the pair's order flips every repeat (A R, R A, A R ...)
    so that neither side always runs first on a broker whose state drifts."""
    return ("adapter", "raw") if repeat % 2 == 0 else ("raw", "adapter")


async def timed(
    result: Result, side: str, runner: Runner, target: Target, s: Settings, topic: str, n: int
) -> float:
    cpu0, loop_cpu0 = time.process_time(), time.thread_time()
    rate = await asyncio.wait_for(runner(target, s, topic, n), s.run_timeout)
    cpu = (time.process_time() - cpu0) / n * 1e6
    loop_cpu = (time.thread_time() - loop_cpu0) / n * 1e6
    result.add(side, rate, cpu, loop_cpu)
    return rate


async def bench_broker(target: Target, s: Settings) -> list[Result]:
    n = target.messages
    results = {m: Result(target.name, m, n, s.size) for m in s.measurements}
    # Topics the adapter published N messages to: the consume runs read them, so consume
    # inputs are what the adapter writes in production (one correlation_id property).
    filled: list[str] = []

    if s.warmup:
        say(f"  warm-up: {s.warmup} messages through each path")
        for m in ("publish", "publish_batch", "consume"):
            for side in ("adapter", "raw"):
                topic = filled.pop() if m == "consume" else fresh_topic(target.name, "warmup")
                await asyncio.wait_for(RUNNERS[m][side](target, s, topic, s.warmup), s.run_timeout)
                if m != "consume" and side == "adapter":
                    filled.append(topic)
        filled.clear()

    def progress(m: str, side: str, repeat: int, rate: float) -> None:
        r = results[m]
        cpu = getattr(r, f"{side}_cpu")[-1]
        loop_cpu = getattr(r, f"{side}_loop_cpu")[-1]
        say(
            f"  {m:<13} {side:<7} run {repeat + 1}/{s.repeats}: {rate:>7,.0f} msg/s"
            f"   CPU {cpu:4.0f} us/msg (event loop thread {loop_cpu:4.0f})"
        )

    for m in ("publish", "publish_batch"):
        if m not in results:
            continue
        for repeat in range(s.repeats):
            for side in sides(repeat):
                topic = fresh_topic(target.name, f"{m}-{side}")
                rate = await timed(results[m], side, RUNNERS[m][side], target, s, topic, n)
                if side == "adapter":
                    filled.append(topic)
                progress(m, side, repeat, rate)

    if "consume" in results:
        while len(filled) < 2 * s.repeats:
            # Consume alone: fill its input topics first (untimed), the adapter's way.
            topic = fresh_topic(target.name, "input")
            await adapter_publish_batch(target, s, topic, n)
            filled.append(topic)
        for repeat in range(s.repeats):
            for side in sides(repeat):
                topic = filled.pop(0)
                rate = await timed(
                    results["consume"], side, RUNNERS["consume"][side], target, s, topic, n
                )
                progress("consume", side, repeat, rate)

    return [results[m] for m in MEASUREMENTS if m in results]


# ------------------------------------------------------------ Apache Pulsar ---


class Standalone:
    """A private Apache Pulsar standalone: own data dir, own free ports, stopped at the end.

    Never the developer's default instance (6650/8080): stopping ours cannot stop theirs.
    """

    def __init__(self, start_timeout: float) -> None:
        # The script keeps files next to the data dir (a lock): one parent holds them all.
        self.parent = Path(tempfile.mkdtemp(prefix="alpes-bench-pulsar-"))
        self.data = self.parent / "data"
        self.broker_port = free_port()
        self.start_timeout = start_timeout
        self.env = {
            **os.environ,
            "PULSAR_STANDALONE_DATA": str(self.data),
            "PULSAR_BROKER_PORT": str(self.broker_port),
            "PULSAR_WEB_PORT": str(free_port()),
            "PULSAR_BOOKIE_PORT": str(free_port()),
            "PULSAR_START_TIMEOUT": str(int(start_timeout)),
        }

    @property
    def url(self) -> str:
        return f"pulsar://127.0.0.1:{self.broker_port}"

    def _run(self, command: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(STANDALONE_SCRIPT), command],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self) -> str | None:
        """Start it; None when ready, else why not."""
        try:
            # The script may first fetch the runtime from Maven Central (once per machine).
            done = self._run("start", self.start_timeout + 120)
        except subprocess.TimeoutExpired:
            return f"'pulsar-standalone start' did not finish within {self.start_timeout + 120:g}s"
        if done.returncode != 0:
            lines = [
                ln for ln in done.stderr.splitlines() if "ERROR" in ln
            ] or done.stderr.splitlines()
            return f"'pulsar-standalone start' failed (exit {done.returncode}): " + (
                lines[-1].strip() if lines else "no output"
            )
        return None

    def stop(self) -> None:
        try:
            self._run("stop", 90)
        except subprocess.TimeoutExpired:
            say(f"warning: 'pulsar-standalone stop' timed out; files left in {self.parent}")
            return
        shutil.rmtree(self.parent, ignore_errors=True)


def apache_unavailable_reason() -> str | None:
    if not STANDALONE_SCRIPT.exists():
        return f"{STANDALONE_SCRIPT} is missing"
    if not os.access(STANDALONE_SCRIPT, os.X_OK):
        return f"{STANDALONE_SCRIPT} is not executable"
    java = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java and Path(java, "bin", "java").exists()):
        return "java is not on PATH"
    return None


# --------------------------------------------------------------------- report ---


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"pulsar-client {pulsar.__version__}, load average {load}"
    )


def table(results: list[Result]) -> list[str]:
    head = (
        f"{'broker':<14} {'measurement':<14} {'messages':>8} {'size':>5} "
        f"{'adapter msg/s':>14} {'raw msg/s':>10} {'ratio':>6} "
        f"{'CPU us/msg adapter':>19} {'raw':>5}   runs adapter | raw (msg/s)"
    )
    rows = [head, "-" * len(head)]
    for r in results:
        runs = (
            " ".join(f"{v:,.0f}" for v in r.adapter) + " | " + " ".join(f"{v:,.0f}" for v in r.raw)
        )
        cpu_adapter, cpu_raw = statistics.median(r.adapter_cpu), statistics.median(r.raw_cpu)
        rows.append(
            f"{r.broker:<14} {r.measurement:<14} {r.messages:>8} {r.size:>5} "
            f"{r.adapter_median:>14,.0f} {r.raw_median:>10,.0f} {r.ratio:>6.2f} "
            f"{cpu_adapter:>19.0f} {cpu_raw:>5.0f}   {runs}"
        )
    return rows


# ----------------------------------------------------------------------- main ---


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.broker",
        description="Throughput of the FastStream Pulsar adapter against raw pulsar.asyncio.",
    )
    p.add_argument("--messages", type=int, default=20_000, help="messages per run on pulsar-lite")
    p.add_argument(
        "--apache-messages", type=int, default=10_000, help="messages per run on Apache Pulsar"
    )
    p.add_argument("--size", type=int, default=256, help="payload bytes")
    p.add_argument("--repeats", type=int, default=3, help="runs per side and measurement")
    p.add_argument("--concurrency", type=int, default=500, help="publishes in flight")
    p.add_argument("--receiver-queue-size", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=1000, help="warm-up messages per path (0: none)")
    p.add_argument("--run-timeout", type=float, default=180.0, help="seconds allowed per run")
    p.add_argument(
        "--measurements",
        default=",".join(MEASUREMENTS),
        help=f"comma-separated subset of {','.join(MEASUREMENTS)}",
    )
    p.add_argument("--no-apache", action="store_true", help="pulsar-lite only")
    p.add_argument("--no-lite", action="store_true", help="Apache Pulsar only")
    p.add_argument(
        "--apache-start-timeout", type=float, default=180.0, help="seconds to wait for standalone"
    )
    args = p.parse_args(argv)
    chosen = tuple(m.strip() for m in args.measurements.split(",") if m.strip())
    unknown = set(chosen) - set(MEASUREMENTS)
    if unknown or not chosen:
        p.error(f"--measurements: unknown {sorted(unknown)}; choose from {MEASUREMENTS}")
    args.measurements = tuple(m for m in MEASUREMENTS if m in chosen)
    for name in ("messages", "apache_messages", "size", "repeats", "concurrency"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.concurrency > 1000:
        # The adapter sets its producer's pending queue to this bound as well.
        say("note: --concurrency above 1000 in flight is allowed but unusual")
    return args


def quiet_logs() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    CLIENT_LOGGER.setLevel(logging.WARNING)
    ADAPTER_LOGGER.setLevel(logging.WARNING)


def run_target(target: Target, s: Settings) -> list[Result]:
    say(
        f"\n== {target.name} ({target.url}): {target.messages} messages x {s.size} B, "
        f"{s.repeats} repeats, {s.concurrency} in flight"
    )
    started = time.monotonic()
    results = asyncio.run(bench_broker(target, s))
    say(f"  ({target.name} done in {time.monotonic() - started:.0f} s)")
    return results


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    # Unwind through the finally blocks, so the brokers this run started are stopped.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_logs()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    s = Settings(
        messages=args.messages,
        size=args.size,
        repeats=args.repeats,
        concurrency=args.concurrency,
        receiver_queue_size=args.receiver_queue_size,
        warmup=args.warmup,
        run_timeout=args.run_timeout,
        measurements=args.measurements,
    )
    say("bench.broker: FastStream Pulsar adapter vs raw pulsar.asyncio")
    say(f"machine: {machine()}")
    results: list[Result] = []
    notes: list[str] = []
    failed = False

    if not args.no_lite:
        with tempfile.TemporaryDirectory(prefix="alpes-bench-lite-") as data:
            lite = EmbeddedPulsar(Path(data))
            try:
                lite.start()
                results += run_target(Target(LITE, lite.url, PULSAR_LITE, args.messages), s)
            except Exception as e:  # report and go on to the other broker
                failed = True
                notes.append(f"{LITE}: FAILED: {type(e).__name__}: {e}")
                say(notes[-1])
            finally:
                lite.stop()

    if args.no_apache:
        notes.append(f"{APACHE}: skipped (--no-apache)")
    elif url := os.environ.get(APACHE_URL_ENV):
        # Somebody else's broker: used, never stopped.
        target = Target(APACHE, url, APACHE_PULSAR, args.apache_messages)
        try:
            results += run_target(target, s)
        except Exception as e:
            failed = True
            notes.append(f"{APACHE}: FAILED on {url} ({APACHE_URL_ENV}): {type(e).__name__}: {e}")
            say(notes[-1])
    elif reason := apache_unavailable_reason():
        notes.append(f"{APACHE}: SKIPPED: {reason} (or set {APACHE_URL_ENV}=pulsar://...)")
    else:
        standalone = Standalone(args.apache_start_timeout)
        say(f"\nstarting Apache Pulsar standalone on {standalone.url} (data {standalone.data}) ...")
        t0 = time.monotonic()
        try:
            reason = standalone.start()
            if reason:
                notes.append(f"{APACHE}: SKIPPED: {reason}")
                say(notes[-1])
            else:
                say(f"  ready in {time.monotonic() - t0:.0f} s")
                target = Target(APACHE, standalone.url, APACHE_PULSAR, args.apache_messages)
                try:
                    results += run_target(target, s)
                except Exception as e:
                    failed = True
                    notes.append(f"{APACHE}: FAILED: {type(e).__name__}: {e}")
                    say(notes[-1])
        finally:
            standalone.stop()  # before the report, so nothing is printed after the JSON

    say("\n== results (medians; ratio = adapter / raw)")
    for row in table(results):
        say(row)
    for note in notes:
        say(note)
    say()
    for r in results:
        say(json.dumps(r.as_json()))
    sys.stdout.flush()
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
