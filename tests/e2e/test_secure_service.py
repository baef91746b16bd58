"""The service end to end on the secured parts: the command worker, the relay and the
projector as `alpes worker run` processes with the service role's token over
pulsar+ssl://, connected to PostgreSQL as the runtime role; a command sent with the
command producer's token; the campaign read back as the read-only role. An outsider
who holds the producer's token cannot write the read model through the event topics."""

import asyncio
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pulsar
import pulsar.asyncio
import pytest

from contracts.examples import example
from contracts.topics import EVENT_TOPICS, EVENTS_V2
from tests.support.secure import CONSUMER, PRODUCER, SERVICE, SecureBroker
from tests.support.servers.postgres import apply_grants, create_database, drop_database, role_url
from tests.support.servers.workers import ALPES, Worker

pytestmark = [pytest.mark.security, pytest.mark.timeout(300)]

WORKERS = ("commands", "relay", "projector")


@pytest.fixture
async def database(postgres_server: str) -> AsyncIterator[dict[str, str]]:
    """A database set up as in production: grants, then migrations by the owner; the
    URLs of the three roles as the service's settings."""
    owner = await create_database(postgres_server)
    try:
        apply_grants(owner)
        done = await asyncio.to_thread(
            subprocess.run,
            [ALPES, "db", "upgrade"],
            env={k: v for k, v in os.environ.items() if not k.startswith("ALPES_")}
            | {"ALPES_MIGRATION_DATABASE_URL": owner},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        yield {
            "ALPES_MIGRATION_DATABASE_URL": owner,
            "ALPES_DATABASE_URL": role_url(owner, "runtime"),
            "ALPES_READONLY_DATABASE_URL": role_url(owner, "readonly"),
        }
    finally:
        await drop_database(postgres_server, owner)


@pytest.fixture
def service(
    secure_pulsar: SecureBroker, database: dict[str, str], tmp_path: Path
) -> Iterator[dict[str, str]]:
    """The workers running as the service role; yields their settings, less the token."""
    token = secure_pulsar.token(SERVICE)
    settings = {
        **database,
        "ALPES_DATA_DIR": str(tmp_path),
        "ALPES_COMMAND_SETTLE_SECONDS": "1",
        "ALPES_COMMAND_SETTLE_ATTEMPTS": "1",
    }
    env = secure_pulsar.env(token, **settings)
    workers = [
        Worker(name, env, tmp_path / f"{name}.log", tmp_path, stdout=True).start()
        for name in WORKERS
    ]
    try:
        deadline = time.monotonic() + 120
        for worker in workers:
            worker.wait_ready(max(0.0, deadline - time.monotonic()))
        yield settings
    finally:
        codes = [worker.terminate(60) for worker in workers]
        for worker, code in zip(workers, codes, strict=True):
            output = worker.log.read_text()
            assert code == 0, f"{worker.role}: {output}"
            assert token not in output
            assert "Traceback" not in output, output


def cli(
    broker: SecureBroker, token: str | None, settings: dict[str, str], *args: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    # The CLI's queries need only the read-only URL: the runtime one is not handed over.
    env = broker.env(token, ALPES_READONLY_DATABASE_URL=settings["ALPES_READONLY_DATABASE_URL"])
    env["ALPES_DATABASE_URL"] = settings["ALPES_READONLY_DATABASE_URL"]
    return subprocess.run(
        [ALPES, *args], env=env, capture_output=True, text=True, timeout=120, cwd=cwd
    )


async def test_the_service_runs_on_the_secured_broker_and_database(
    secure_pulsar: SecureBroker, service: dict[str, str], tmp_path: Path
) -> None:
    campaign = f"c-secure-{int(time.time() * 1000) % 10**8}"
    body = tmp_path / "crear.json"
    body.write_text(json.dumps(json.loads(example("crear-campana", 2)) | {"campana_id": campaign}))
    producer = secure_pulsar.token(PRODUCER)

    sent = cli(
        secure_pulsar,
        producer,
        service,
        "campaign",
        "create",
        "--file",
        str(body),
        "--wait",
        "--timeout",
        "60",
        cwd=tmp_path,
    )
    assert sent.returncode == 0, sent.stderr
    assert "applied: " in sent.stdout
    assert producer not in sent.stdout + sent.stderr

    deadline = time.monotonic() + 60
    while (
        shown := cli(
            secure_pulsar, None, service, "campaign", "show", campaign, "--json", cwd=tmp_path
        )
    ).returncode != 0:
        assert time.monotonic() < deadline, shown.stderr
        await asyncio.sleep(0.3)
    view = json.loads(shown.stdout)
    assert (view["nombre"], view["estado"]) == ("Campaña Moda Primavera 2025", "draft")

    # The event reached the event topic: an event consumer reads it on its own subscription.
    async with secure_pulsar.client(secure_pulsar.token(CONSUMER)) as client:
        consumer = await client.subscribe(
            EVENT_TOPICS["campana-creada"],
            "event-consumer",
            initial_position=pulsar.InitialPosition.Earliest,
            consumer_type=pulsar.ConsumerType.Shared,
        )
        async with asyncio.timeout(30):
            while True:
                message = await consumer.receive()
                await consumer.acknowledge(message)
                if json.loads(message.data()).get("campana_id") == campaign:
                    break
        await consumer.close()


@pytest.mark.parametrize("role", [PRODUCER, CONSUMER])
async def test_an_outsider_cannot_write_the_read_model_through_the_event_topics(
    secure_pulsar: SecureBroker, service: dict[str, str], tmp_path: Path, role: str
) -> None:
    forged = f"c-forged-{role}"
    created = json.loads(example("crear-campana")) | {"campana_id": forged, "estado": "draft"}
    async with secure_pulsar.client(secure_pulsar.token(role)) as client:
        for topic in (EVENT_TOPICS["campana-creada"], EVENTS_V2):
            with pytest.raises(pulsar.asyncio.PulsarException) as refused:
                producer = await client.create_producer(topic, batching_enabled=False)
                await producer.send(
                    json.dumps(created).encode(),
                    properties={
                        "event_type": "campana-creada",
                        "event_id": f"{forged}-1",
                        "aggregate_version": "1",
                    },
                    partition_key=forged,
                )
            assert refused.value.error() == pulsar.Result.AuthorizationError
    await asyncio.sleep(2)  # what a projector would have needed to apply it
    shown = cli(secure_pulsar, None, service, "campaign", "show", forged, cwd=tmp_path)
    assert shown.returncode == 3  # nothing to show
    assert shown.stderr.strip() == f"error: no campaign {forged!r} in the read store"
