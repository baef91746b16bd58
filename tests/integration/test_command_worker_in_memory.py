"""The command worker on the in-memory broker with a real SQLite file: settlement of each
outcome is observable."""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.migrate import upgrade
from adapters.database.schema import command_log, outbox
from adapters.database.unit_of_work import SqlUnitOfWork
from adapters.pulsar import PulsarBroker, TestPulsarBroker
from adapters.pulsar.testing import RecordingSettler
from contracts.examples import example
from contracts.topics import COMMAND_TOPICS
from workers.campaigns import worker


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite:///{tmp_path / 'alpes.db'}"
    await upgrade(url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


def settler(broker: PulsarBroker, command: str) -> RecordingSettler:
    [sub] = [s for s in broker.subscribers if COMMAND_TOPICS[command] in s.topics]  # type: ignore[attr-defined]
    assert isinstance(sub.settler, RecordingSettler)  # type: ignore[attr-defined]
    return sub.settler  # type: ignore[attr-defined,no-any-return]


async def test_applied_rejected_and_malformed_commands_are_settled_as_the_contract_says(
    engine: AsyncEngine,
) -> None:
    broker = PulsarBroker()
    worker.register(broker, lambda: SqlUnitOfWork(engine), concurrency=1, settle_seconds=0)
    async with TestPulsarBroker(broker) as br:
        await br.publish(example("crear-campana"), COMMAND_TOPICS["crear-campana"],
                         headers={"command_id": "c1"})
        await br.publish(json.dumps({"campana_id": "nope"}).encode(),
                         COMMAND_TOPICS["pausar-campana"], headers={"command_id": "c2"})
        await br.publish(b"not json", COMMAND_TOPICS["activar-campana"],
                         headers={"command_id": "c3"})

        assert len(settler(broker, "crear-campana").acked) == 1
        assert len(settler(broker, "pausar-campana").acked) == 1  # a rejection is final
        [(_, reason)] = settler(broker, "activar-campana").dead_lettered
        assert reason["DLQ_REASON"] == "malformed_message"

    async with engine.connect() as c:
        rows = await c.execute(select(command_log.c.command_id, command_log.c.status))
        statuses = {command_id: status for command_id, status in rows.all()}
        events = (await c.execute(select(func.count()).select_from(outbox))).scalar_one()
    assert statuses == {"c1": "applied", "c2": "rejected", "c3": "rejected"}
    assert events == 3  # campana-creada and two comando-rechazado


async def test_a_redelivered_command_without_command_id_is_applied_once(
    engine: AsyncEngine,
) -> None:
    broker = PulsarBroker()
    worker.register(broker, lambda: SqlUnitOfWork(engine), concurrency=1, settle_seconds=0)
    async with TestPulsarBroker(broker) as br:
        await br.publish(example("crear-campana"), COMMAND_TOPICS["crear-campana"])
        await br.publish(example("crear-campana"), COMMAND_TOPICS["crear-campana"])
    async with engine.connect() as c:
        events = (await c.execute(select(func.count()).select_from(outbox))).scalar_one()
    # Two messages (two derived ids) with the same creation data: one campaign, one event.
    assert events == 1
