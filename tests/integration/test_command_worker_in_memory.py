"""The command worker on the in-memory broker with a real SQLite file: settlement of each
outcome is observable."""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.batch import SqlCommandStore
from adapters.database.command_status import command_status
from adapters.database.engine import create_engine
from adapters.database.migrate import upgrade
from adapters.database.schema import command_log, outbox
from adapters.pulsar import PulsarBroker, TestPulsarBroker
from adapters.pulsar.testing import RecordingSettler
from application.commands.batch import BatchingProcessor
from contracts.examples import example
from contracts.topics import COMMAND_TOPICS, COMMANDS_V2
from workers import commands as worker


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite:///{tmp_path / 'alpes.db'}"
    await upgrade(url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


def settler(broker: PulsarBroker, command: str | None) -> RecordingSettler:
    """The settler of one v1 command topic's subscriber, or of the v2 stream's (None)."""
    topic = COMMANDS_V2 if command is None else COMMAND_TOPICS[command]
    [sub] = [s for s in broker.subscribers if topic in s.topics]  # type: ignore[attr-defined]
    assert isinstance(sub.settler, RecordingSettler)  # type: ignore[attr-defined]
    return sub.settler  # type: ignore[attr-defined,no-any-return]


async def test_applied_rejected_and_malformed_commands_are_settled_as_the_contract_says(
    engine: AsyncEngine,
) -> None:
    broker = PulsarBroker()
    worker.register(broker, BatchingProcessor(SqlCommandStore(engine)), concurrency=1)
    async with TestPulsarBroker(broker) as br:
        await br.publish(
            example("crear-campana"), COMMAND_TOPICS["crear-campana"], headers={"command_id": "c1"}
        )
        await br.publish(
            json.dumps({"campana_id": "nope"}).encode(),
            COMMAND_TOPICS["pausar-campana"],
            headers={"command_id": "c2"},
        )
        await br.publish(
            b"not json", COMMAND_TOPICS["activar-campana"], headers={"command_id": "c3"}
        )

        assert len(settler(broker, "crear-campana").acked) == 1
        assert len(settler(broker, "pausar-campana").acked) == 1  # a rejection is final
        [(_, reason)] = settler(broker, "activar-campana").dead_lettered
        assert reason["DLQ_REASON"] == "malformed_message"

    async with engine.connect() as c:
        rows = await c.execute(select(command_log.c.command_id, command_log.c.status))
        statuses = {command_id: status for command_id, status in rows.all()}
        events = (await c.execute(select(func.count()).select_from(outbox))).scalar_one()
    assert statuses == {"c1": "applied", "c2": "rejected", "c3": "rejected"}
    assert events == 2 * 3  # campana-creada and two comando-rechazado, on v2 and v1


async def test_a_redelivered_command_without_command_id_is_applied_once(
    engine: AsyncEngine,
) -> None:
    broker = PulsarBroker()
    worker.register(broker, BatchingProcessor(SqlCommandStore(engine)), concurrency=1)
    async with TestPulsarBroker(broker) as br:
        await br.publish(example("crear-campana"), COMMAND_TOPICS["crear-campana"])
        await br.publish(example("crear-campana"), COMMAND_TOPICS["crear-campana"])
    async with engine.connect() as c:
        events = (await c.execute(select(func.count()).select_from(outbox))).scalar_one()
    # Two messages (two derived ids) with the same creation data: one campaign, one event
    # (published on v2 and on v1).
    assert events == 2


async def test_a_create_sent_again_under_a_new_id_gets_the_first_ones_outcome(
    engine: AsyncEngine,
) -> None:
    broker = PulsarBroker()
    worker.register(broker, BatchingProcessor(SqlCommandStore(engine)), concurrency=1)
    body = example("crear-campana", 2)
    async with TestPulsarBroker(broker) as br:
        for command_id in ("first", "again", "again"):
            headers = {"command_id": command_id, "command_type": "crear-campana"}
            await br.publish(body, COMMANDS_V2, key="c-12345", headers=headers)
    async with engine.connect() as c:
        events = (await c.execute(select(func.count()).select_from(outbox))).scalar_one()
        rows = await c.execute(select(command_log.c.command_id, command_log.c.status))
        statuses = dict(rows.all())
    assert events == 2  # one event, on v2 and v1: nothing new for the repeat
    # Whoever waits on "again" is answered: the campaign exists as asked.
    assert statuses == {"first": "applied", "again": "applied"}
    first = await command_status(engine, "first")
    again = await command_status(engine, "again")
    assert first is not None and again is not None
    assert again.event_ids == first.event_ids != ()


async def test_the_v2_stream_settles_each_command_by_its_outcome(engine: AsyncEngine) -> None:
    broker = PulsarBroker()
    worker.register(broker, BatchingProcessor(SqlCommandStore(engine)), concurrency=1)

    def v2(command: str, body: bytes, command_id: str, key: str | None) -> dict[str, object]:
        headers = {"command_id": command_id, "command_type": command}
        return {"message": body, "topic": COMMANDS_V2, "key": key, "headers": headers}

    async with TestPulsarBroker(broker) as br:
        await br.publish(**v2("crear-campana", example("crear-campana", 2), "c1", "c-12345"))
        await br.publish(**v2("activar-campana", b'{"campana_id": "c-12345"}', "c2", "c-12345"))
        await br.publish(**v2("pausar-campana", b'{"campana_id": "c-12345"}', "c3", "c-other"))
        await br.publish(**v2("activar-campana", b"[", "c4", "c-12345"))
        stream = settler(broker, None)
        assert len(stream.acked) == 3  # applied, applied, rejected KEY_MISMATCH
        [(_, reason)] = stream.dead_lettered
        assert reason["DLQ_REASON"] == "malformed_message"

    async with engine.connect() as c:
        rows = await c.execute(select(command_log.c.command_id, command_log.c.reason))
        reasons = dict(rows.all())
    assert reasons == {"c1": None, "c2": None, "c3": "KEY_MISMATCH", "c4": "MALFORMED_MESSAGE"}


async def test_a_command_failing_for_a_bug_is_dead_lettered_at_once_with_the_error(
    engine: AsyncEngine,
) -> None:
    """Not an outage, not a rejection: the same message would fail the same way again,
    so it is parked at once (no redelivery loop to overtake or to be overtaken by)."""

    class Buggy(BatchingProcessor):
        async def submit_many(self, commands):  # type: ignore[no-untyped-def]
            return [RuntimeError("a bug") for _ in commands]

    broker = PulsarBroker()
    worker.register(broker, Buggy(SqlCommandStore(engine)), concurrency=1)
    async with TestPulsarBroker(broker) as br:
        await br.publish(
            example("crear-campana", 2),
            COMMANDS_V2,
            key="c-12345",
            headers={"command_id": "c1", "command_type": "crear-campana"},
        )
        stream = settler(broker, None)
        assert stream.nacked == [] and stream.acked == []
        [(_, reason)] = stream.dead_lettered
    assert reason["DLQ_REASON"] == "failed"
    assert reason["DLQ_EXCEPTION_TYPE"] == "RuntimeError"
    assert reason["DLQ_EXCEPTION_MESSAGE"] == "a bug"
