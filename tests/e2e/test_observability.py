"""Operations, end to end: every worker process (and `alpes dev`) serves /metrics,
/healthz and /readyz; after commands sent through a real broker, each process's counters
have moved by exactly what it did (per command, not per batch); readiness follows the
broker and the database; JSON log lines carry the command they are about."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.database.engine import create_engine
from adapters.database.migrate import head_revision, upgrade
from adapters.embedded_pulsar import EmbeddedPulsar, free_port
from contracts.examples import example
from contracts.topics import COMMANDS_V2, command_topic
from tests.support.cli import alpes, running_dev
from tests.support.raw import raw_client
from tests.support.scrape import Samples, endpoint_of, get, readiness, scrape, series, value
from tests.support.servers.pulsar_lite import running_pulsar_lite
from tests.support.servers.workers import ALPES, Worker, worker_env

pytestmark = [pytest.mark.pulsar_lite, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[EmbeddedPulsar]:
    """A broker of this test's own: the contract's topics hold only its commands."""
    with running_pulsar_lite(tmp_path / "pulsar-lite") as broker:
        yield broker


@pytest.fixture
async def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'alpes.db'}"
    await upgrade(url)
    return url


def start_worker(role: str, lite: EmbeddedPulsar, database: str, tmp: Path, **env: str) -> Worker:
    settings = worker_env(
        lite.url,
        "lite",
        database,
        env.pop("ALPES_LOG_LEVEL", "WARNING"),
        ALPES_DATA_DIR=str(tmp),
        ALPES_NOTIFICATION_FILE=str(tmp / "notifications.jsonl"),
        **env,
    )
    return Worker(role, settings, tmp / f"{role}.log", ROOT).start()


def served(worker: Worker) -> str:
    worker.wait_ready()
    url = endpoint_of(worker.log)
    assert url is not None, f"{worker.role} logged no endpoint: {worker.tail()}"
    assert url.startswith("http://127.0.0.1:"), "loopback unless ALPES_METRICS_HOST says"
    return url


async def until(predicate: "object", timeout: float = 60.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(predicate):
        assert time.monotonic() < deadline, "timed out waiting for the metrics"
        await asyncio.sleep(0.2)


# (topic, key, properties, body): what a producer sends; the comment says the outcome.
def backlog() -> list[tuple[str, str, dict[str, str], bytes]]:
    create = example("crear-campana", 2).replace(b"c-12345", b"c-obs-1")
    v1_create = example("crear-campana", 1).replace(b"c-12345", b"c-obs-2")

    def v2(
        command_type: str, command_id: str, body: bytes
    ) -> tuple[str, str, dict[str, str], bytes]:
        properties = {
            "command_type": command_type,
            "command_id": command_id,
            "correlation_id": f"corr-{command_id}",
        }
        return COMMANDS_V2, "c-obs-1", properties, body

    return [
        v2("crear-campana", "obs-1", create),  # applied
        v2("activar-campana", "obs-2", b'{"campana_id": "c-obs-1"}'),  # applied
        v2("crear-campana", "obs-1", create),  # duplicate
        v2("pausar-campana", "obs-3", b'{"campana_id": "c-obs-1", "x": 1}'),  # UNKNOWN_FIELD
        v2("activar-campana", "obs-4", b"{not json"),  # MALFORMED_MESSAGE, dead-lettered
        v2("borrar-todo", "obs-5", b'{"campana_id": "c-obs-1"}'),  # UNKNOWN_COMMAND
        (
            command_topic("crear-campana"),
            "c-obs-2",
            {"command_id": "obs-6", "correlation_id": "corr-obs-6"},
            v1_create,
        ),  # applied (v1)
    ]


async def send_backlog(url: str) -> None:
    async with raw_client(url) as client:
        producers = {}
        for topic, key, properties, body in backlog():
            if topic not in producers:
                producers[topic] = await client.create_producer(topic, batching_enabled=False)
            await producers[topic].send(body, properties=properties, partition_key=key)
        for producer in producers.values():
            await producer.close()


def labels(**given: str) -> frozenset[tuple[str, str]]:
    return frozenset(given.items())


@pytest.fixture
async def workers(
    lite: EmbeddedPulsar, database: str, tmp_path: Path
) -> AsyncIterator[dict[str, Worker]]:
    # The backlog waits for the workers: the command worker takes it in batches.
    await send_backlog(lite.url)
    started = {
        role: start_worker(
            role,
            lite,
            database,
            tmp_path,
            ALPES_METRICS_PORT="0",
            ALPES_LOG_FORMAT="json",
            ALPES_LOG_LEVEL="INFO",
        )
        for role in ("commands", "relay", "projector", "notifications")
    }
    for worker in started.values():  # a SIGTERM before it is up would kill it outright
        await asyncio.to_thread(worker.wait_ready)
    try:
        yield started
    finally:
        for worker in started.values():
            assert worker.terminate() == 0, worker.tail()


async def test_each_worker_process_counts_exactly_what_it_did(
    workers: dict[str, Worker],
) -> None:
    urls = {role: served(worker) for role, worker in workers.items()}

    def finished() -> bool:
        return (
            sum(series(scrape(urls["commands"]), "alpes_commands_total").values()) >= 7
            and sum(
                series(scrape(urls["notifications"]), "alpes_notifications_sent_total").values()
            )
            >= 6
            and sum(series(scrape(urls["projector"]), "alpes_events_projected_total").values()) >= 6
            and value(scrape(urls["relay"]), "alpes_outbox_pending") == 0
            and sum(series(scrape(urls["relay"]), "alpes_events_published_total").values()) >= 12
        )

    await until(finished)
    await asyncio.sleep(1)  # anything counted twice would show by now
    commands, relay = scrape(urls["commands"]), scrape(urls["relay"])
    projector, notifications = scrape(urls["projector"]), scrape(urls["notifications"])

    # One count per command, whatever the batches were.
    assert series(commands, "alpes_commands_total") == {
        labels(command_type="crear-campana", outcome="applied", reason=""): 2,
        labels(command_type="activar-campana", outcome="applied", reason=""): 1,
        labels(command_type="crear-campana", outcome="duplicate", reason=""): 1,
        labels(command_type="pausar-campana", outcome="rejected", reason="UNKNOWN_FIELD"): 1,
        labels(command_type="activar-campana", outcome="rejected", reason="MALFORMED_MESSAGE"): 1,
        # A command_type that names no command is no label of its own.
        labels(command_type="unknown", outcome="rejected", reason="UNKNOWN_COMMAND"): 1,
    }
    assert value(commands, "alpes_command_latency_seconds_count") == 7
    assert 0 < value(commands, "alpes_command_latency_seconds_sum") < 7 * 30
    assert value(commands, "alpes_command_batch_size_sum") == 7, "each command in one transaction"
    assert 1 <= value(commands, "alpes_command_batch_size_count") <= 7
    assert series(commands, "alpes_dead_letters_total") == {
        labels(subscription="alpes-campanas", reason="malformed_message"): 1
    }
    assert series(commands, "alpes_command_failures_total") == {}

    # Three events applied, three rejections: each on v2 and on v1.
    published = {"campana-creada": 2, "campana-activada": 1, "comando-rechazado": 3}
    assert series(relay, "alpes_events_published_total") == {
        labels(event_type=name, schema_version=version): count
        for name, count in published.items()
        for version in ("1", "2")
    }
    assert value(relay, "alpes_outbox_pending") == 0
    assert value(relay, "alpes_outbox_oldest_pending_age_seconds") == 0

    assert series(projector, "alpes_events_projected_total") == {
        labels(event_type="campana-creada", result="applied"): 2,
        labels(event_type="campana-activada", result="applied"): 1,
        labels(event_type="comando-rechazado", result="ignored"): 3,
    }
    assert value(projector, "alpes_projection_lag_seconds_count") == 6
    assert series(notifications, "alpes_notifications_sent_total") == {
        labels(event_type=name): count for name, count in published.items()
    }
    # Each process exports only what it does, and its own health.
    assert series(relay, "alpes_commands_total") == {}
    assert value(commands, "process_resident_memory_bytes") > 0
    for url in urls.values():
        assert await readiness(url) == (
            200,
            {
                "ready": True,
                "checks": {"broker": "connected", "database": f"at head ({head_revision()})"},
            },
        )


async def test_json_log_lines_carry_the_command_they_are_about(
    workers: dict[str, Worker],
) -> None:
    url = served(workers["commands"])

    def done() -> bool:
        return sum(series(scrape(url), "alpes_commands_total").values()) >= 7

    await until(done)
    lines = [
        line
        for line in workers["commands"].log.read_text().splitlines()
        if line and not line.startswith("--- start")  # the test driver's own marker
    ]
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(p) for p in parsed)
    about = {
        p["command_id"]: p for p in parsed if p["logger"] == "alpes.commands" and "command_id" in p
    }
    assert about["obs-2"]["correlation_id"] == "corr-obs-2"
    assert about["obs-2"]["campana_id"] == "c-obs-1"
    assert about["obs-2"]["message"] == "activar-campana obs-2: applied"
    assert about["obs-6"]["campana_id"] == "c-obs-2"
    assert about["obs-3"]["message"] == "pausar-campana obs-3: rejected UNKNOWN_FIELD"


async def test_readiness_follows_the_database_and_the_broker(
    lite: EmbeddedPulsar, database: str, tmp_path: Path
) -> None:
    port = free_port()
    worker = start_worker("projector", lite, database, tmp_path, ALPES_METRICS_PORT=str(port))
    try:
        url = served(worker)
        assert url == f"http://127.0.0.1:{port}"
        status, found = await readiness(url)
        assert status == 200 and found["ready"] is True

        engine = create_engine(database)
        head = head_revision()
        try:
            async with engine.begin() as connection:
                await connection.execute(text("UPDATE alembic_version SET version_num = '0002'"))
            status, found = await readiness(url)
            assert status == 503
            assert found == {
                "ready": False,
                "checks": {
                    "broker": "connected",
                    "database": f"at revision 0002, the code needs {head}",
                },
            }
            async with engine.begin() as connection:
                await connection.execute(
                    text("UPDATE alembic_version SET version_num = :head"), {"head": head}
                )
        finally:
            await engine.dispose()
        assert (await readiness(url))[0] == 200

        lite.kill()
        status, found = await readiness(url)
        assert status == 503
        assert found["checks"] == {
            "broker": "no answer from the broker",
            "database": f"at head ({head})",
        }
        assert await asyncio.to_thread(get, f"{url}/healthz") == (200, b"ok\n")

        lite.start()
        deadline = time.monotonic() + 60
        while (await readiness(url))[0] != 200:
            assert time.monotonic() < deadline, "not ready again after the broker came back"
            await asyncio.sleep(0.5)
    finally:
        assert worker.terminate() == 0, worker.tail()


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        (
            "ALPES_LOG_FORMAT",
            "xml",
            "ALPES_LOG_FORMAT: Input should be 'text' or 'json', got 'xml'",
        ),
        ("OTEL_TRACES_EXPORTER", "zipkin", "OTEL_TRACES_EXPORTER is 'zipkin'; expected otlp"),
        ("ALPES_METRICS_PORT", "70000", "ALPES_METRICS_PORT"),
    ],
)
def test_a_setting_that_cannot_be_honoured_is_one_line_naming_it(
    tmp_path: Path, variable: str, value: str, named: str
) -> None:
    import subprocess

    env = worker_env("pulsar://127.0.0.1:1", "lite", f"sqlite:///{tmp_path / 'x.db'}")
    done = subprocess.run(
        [ALPES, "worker", "run", "commands"],
        env=env | {variable: value},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert named in lines[0]


def test_alpes_dev_serves_metrics_and_readiness(tmp_path: Path) -> None:
    port = free_port()
    dev = running_dev(tmp_path, {"ALPES_METRICS_PORT": str(port)})
    next(dev)
    try:
        url = f"http://127.0.0.1:{port}"
        sent = alpes(
            tmp_path,
            "campaign",
            "create",
            "--file",
            str(ROOT / "contracts" / "v2" / "examples" / "crear-campana.json"),
            "--wait",
        )
        assert sent.returncode == 0, sent.stderr
        deadline = time.monotonic() + 30
        samples: Samples = {}
        while value(samples, "alpes_notifications_sent_total", event_type="campana-creada") < 1:
            assert time.monotonic() < deadline, samples
            time.sleep(0.2)
            samples = scrape(url)
        assert (
            value(
                samples,
                "alpes_commands_total",
                command_type="crear-campana",
                outcome="applied",
                reason="",
            )
            == 1
        )
        assert (
            value(
                samples,
                "alpes_events_published_total",
                event_type="campana-creada",
                schema_version="2",
            )
            == 1
        )
        assert get(f"{url}/readyz")[0] == 200
    finally:
        dev.close()
