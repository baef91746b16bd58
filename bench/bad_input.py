"""Every bad command of the test corpus, sent as a producing service would on v1 and on
v2 at once, through the real worker processes: did each get its rejection, and how long
after it was sent did the ``comando-rechazado`` reach a plain consumer of the v2 event
stream?

    python -m bench.bad_input                                   # pulsar-lite + SQLite
    python -m bench.bad_input --url pulsar://127.0.0.1:6650 --flavor apache \\
        --database-url postgresql://alpes:alpes@127.0.0.1:55432/alpes_bad

Prints one line per case and a summary; exits 1 if any case got no rejection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulsar

from adapters.database.migrate import upgrade
from bench.broker.raw import raw_client
from bench.common import say
from contracts import properties as p
from contracts.examples import example
from contracts.topics import COMMANDS_V2, EVENTS_V2, command_topic
from tests.support.servers.pulsar_lite import running_pulsar_lite
from tests.support.servers.workers import Worker, worker_env
from tests.unit.workers.test_bad_input_corpus import CORPUS
from tests.unit.workers.test_bad_input_corpus_v2 import V1_CASES_AS_V2, V2_ONLY


@dataclass
class Case:
    contract: int
    command: str
    body: bytes
    reason: str
    properties: dict[str, str]
    key: str | None
    correlation: str
    sent_at: float = 0.0
    got: str | None = None
    seconds: float | None = None


def cases(run: str) -> list[Case]:
    found: list[Case] = []
    for n, (command, body, reason, _) in enumerate(CORPUS):
        correlation = f"{run}-v1-{n}"
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        found.append(
            Case(
                1,
                command,
                raw,
                reason,
                {p.COMMAND_ID: f"bad-{correlation}", p.CORRELATION_ID: correlation},
                "c-12345",
                correlation,
            )
        )
    v2: list[tuple[str, Any, dict[str, str], str]] = [
        (c, b, {}, r) for c, b, r, _ in V1_CASES_AS_V2
    ]
    v2 += [(c, b, ch, r) for c, b, ch, r, _ in V2_ONLY]
    for n, (command, body, changes, reason) in enumerate(v2):
        correlation = f"{run}-v2-{n}"
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        campaign = body.get("campana_id") if isinstance(body, dict) else None
        key = changes.get("key", campaign if isinstance(campaign, str) else "c-new")
        properties = {
            p.COMMAND_ID: changes.get("command_id", f"bad-{correlation}"),
            p.CORRELATION_ID: changes.get("correlation_id", correlation),
        }
        if command:
            properties[p.COMMAND_TYPE] = command
        for name in ("expected_version", "schema_version"):
            if name in changes:
                properties[name] = changes[name]
        found.append(Case(2, command, raw, reason, properties, key or None, correlation))
    return found


async def measure(url: str, flavor: str, database_url: str, folder: Path) -> int:
    await upgrade(database_url)
    run = uuid.uuid4().hex[:8]
    env = worker_env(url, flavor, database_url, "WARNING")
    fleet = [Worker(role, env, folder / f"{role}.log", folder) for role in ("commands", "relay")]
    for worker in fleet:
        worker.start()
    client = raw_client(url)
    todo = cases(run)
    by_correlation = {c.correlation: c for c in todo}
    by_command = {c.properties[p.COMMAND_ID]: c for c in todo}
    try:
        events = await client.subscribe(
            EVENTS_V2,
            f"bad-input-{run}",
            consumer_type=pulsar.ConsumerType.Shared,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        seed = await client.create_producer(command_topic("crear-campana"), batching_enabled=False)
        await seed.send(
            example("crear-campana"),
            properties={p.COMMAND_ID: f"seed-{run}"},
            partition_key="c-12345",
        )
        await wait_for_seed(events, f"seed-{run}")
        producers: dict[str, Any] = {}
        started = time.monotonic()
        for case in todo:
            topic = COMMANDS_V2 if case.contract == 2 else command_topic(case.command)
            if topic not in producers:
                producers[topic] = await client.create_producer(topic, batching_enabled=False)
            case.sent_at = time.monotonic()
            await producers[topic].send(
                case.body, properties=case.properties, partition_key=case.key
            )
        say(f"sent {len(todo)} bad commands in {time.monotonic() - started:.2f} s")
        try:
            async with asyncio.timeout(90):
                while any(c.got is None for c in todo):
                    message = await events.receive()
                    await events.acknowledge(message)
                    props = message.properties()
                    if props.get(p.EVENT_TYPE) != "comando-rechazado":
                        continue
                    body = json.loads(message.data())
                    rejected = by_correlation.get(
                        props.get(p.CORRELATION_ID, "")
                    ) or by_command.get(body["command_id"])
                    if rejected is not None and rejected.got is None:
                        rejected.got = body["reason"]
                        rejected.seconds = time.monotonic() - rejected.sent_at
        except TimeoutError:
            pass
    finally:
        await client.close()
        for worker in fleet:
            worker.terminate()
    return report(todo)


async def wait_for_seed(events: Any, command_id: str) -> None:
    async with asyncio.timeout(60):
        while True:
            message = await events.receive()
            await events.acknowledge(message)
            if message.properties().get(p.COMMAND_ID) == command_id:
                return


def report(todo: list[Case]) -> int:
    for case in todo:
        shown = "-" if case.seconds is None else f"{case.seconds * 1000:7.0f} ms"
        verdict = "ok" if case.got == case.reason else f"GOT {case.got}"
        say(
            f"v{case.contract} {case.command or '(none)':<22.22} {case.reason:<26} {shown}  "
            f"{verdict}"
        )
    failed = [c for c in todo if c.got != c.reason]
    for contract in (1, 2):
        times = [c.seconds for c in todo if c.contract == contract and c.seconds is not None]
        mine = [c for c in todo if c.contract == contract]
        say(
            f"v{contract}: {len([c for c in mine if c.got == c.reason])} of {len(mine)} "
            f"rejected with the expected reason; after "
            f"{statistics.median(times) * 1000:.0f} ms median, {max(times) * 1000:.0f} ms max"
            if times
            else f"v{contract}: no rejection received"
        )
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bad_input")
    parser.add_argument("--url", help="a broker to use (default: a private pulsar-lite)")
    parser.add_argument("--flavor", default="apache", choices=("apache", "lite"))
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="alpes-bad-input-"))
    database_url = args.database_url or f"sqlite:///{folder / 'alpes.db'}"
    if args.url:
        return asyncio.run(measure(args.url, args.flavor, database_url, folder))
    with running_pulsar_lite(folder / "pulsar-lite") as lite:
        return asyncio.run(measure(lite.url, "lite", database_url, folder))


if __name__ == "__main__":
    raise SystemExit(main())
