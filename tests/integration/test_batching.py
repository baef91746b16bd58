"""The micro-batched Unit of Work on real databases: one transaction, one outcome each."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.batch import SqlCommandStore
from adapters.database.engine import create_engine
from adapters.database.schema import campaigns, command_log, outbox
from application.commands.batch import BatchingProcessor, KeyHeld
from application.commands.incoming import CommandEnvelope, decode
from application.errors import ConcurrencyError
from contracts.examples import example

SEED = json.loads(example("crear-campana"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def envelope(command: str, body: object, command_id: str) -> CommandEnvelope:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return CommandEnvelope(command, command_id, "corr", raw)


def crear(campaign: str) -> dict[str, object]:
    return SEED | {"id": campaign}


async def count(engine: AsyncEngine, table: object) -> int:
    async with engine.connect() as c:
        return int((await c.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_many_commands_share_one_transaction_and_each_gets_its_outcome(
    engine: AsyncEngine,
) -> None:
    processor = BatchingProcessor(SqlCommandStore(engine), max_batch=500, max_wait=0.01)
    envelopes = [envelope("crear-campana", crear(f"c-b{n}"), f"b{n}") for n in range(200)]
    envelopes.append(envelope("activar-campana", {"campana_id": "c-none"}, "bad"))
    envelopes.append(envelope("crear-campana", b"{", "malformed"))
    outcomes = await asyncio.gather(*(processor.submit(e) for e in envelopes))

    assert [o.status for o in outcomes] == ["applied"] * 200 + ["rejected", "rejected"]
    assert processor.batches <= 3, "the commands were not batched"
    assert await count(engine, campaigns) == 200
    assert await count(engine, command_log) == 202
    assert await count(engine, outbox) == 2 * 202  # each event on v2 and on v1


async def test_a_campaign_created_and_changed_in_one_batch_gets_consecutive_versions(
    engine: AsyncEngine,
) -> None:
    processor = BatchingProcessor(SqlCommandStore(engine), max_wait=0.01)
    outcomes = await asyncio.gather(
        processor.submit(envelope("crear-campana", crear("c-v"), "v1")),
        processor.submit(envelope("activar-campana", {"campana_id": "c-v"}, "v2")),
        processor.submit(envelope("pausar-campana", {"campana_id": "c-v"}, "v3")),
        processor.submit(envelope("crear-campana", crear("c-v"), "v1")),  # same id again
    )
    assert [o.status for o in outcomes] == ["applied", "applied", "applied", "duplicate"]
    async with engine.connect() as c:
        version, estado = (await c.execute(select(campaigns.c.version, campaigns.c.estado))).one()
        rows = (await c.execute(select(outbox.c.properties).order_by(outbox.c.seq))).all()
    assert (version, estado) == (3, "paused")
    for contract in ("1", "2"):
        versions = [
            r.properties["aggregate_version"]
            for r in rows
            if r.properties["schema_version"] == contract
        ]
        assert versions == ["1", "2", "3"]


async def test_a_failing_command_leaves_the_rest_of_its_batch_intact(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from application.commands import batch

    real_apply = batch.apply_in

    async def flaky(incoming, uow, renderer):  # type: ignore[no-untyped-def]
        if incoming.command_id == "boom":
            raise RuntimeError("bug in one command")
        return await real_apply(incoming, uow, renderer)

    monkeypatch.setattr(batch, "apply_in", flaky)
    processor = BatchingProcessor(SqlCommandStore(engine), max_wait=0.01)
    results = await asyncio.gather(
        processor.submit(envelope("crear-campana", crear("c-ok1"), "ok1")),
        processor.submit(envelope("crear-campana", crear("c-boom"), "boom")),
        processor.submit(envelope("crear-campana", crear("c-ok2"), "ok2")),
        return_exceptions=True,
    )
    assert isinstance(results[1], RuntimeError)
    assert [r.status for r in (results[0], results[2])] == ["applied", "applied"]  # type: ignore[union-attr]
    assert await count(engine, campaigns) == 2


async def test_two_processors_racing_on_the_same_campaigns_lose_no_update(
    engine: AsyncEngine,
) -> None:
    first = BatchingProcessor(SqlCommandStore(engine), max_wait=0.005)
    await first.submit(envelope("crear-campana", crear("c-race"), "r0"))
    second = BatchingProcessor(SqlCommandStore(engine), max_wait=0.005)
    adds = [
        envelope(
            "agregar-participante",
            {
                "campana_id": "c-race",
                "participante": {"id": f"p-{n}", "tipo": "Affiliate", "nombre": f"P{n}"},
            },
            f"r{n + 1}",
        )
        for n in range(40)
    ]
    outcomes = await asyncio.gather(
        *((first if n % 2 else second).submit(e) for n, e in enumerate(adds))
    )
    assert {o.status for o in outcomes} == {"applied"}
    async with engine.connect() as c:
        version, snapshot = (
            await c.execute(select(campaigns.c.version, campaigns.c.snapshot))
        ).one()
    assert version == 41
    assert len(snapshot["participantes"]) == 42


async def test_a_row_that_cannot_be_written_fails_alone_not_its_whole_batch(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database error that is neither an outage nor a conflict (here: one command's
    row refused) sends the batch down the one-by-one path, where it fails alone."""
    from adapters.database import batch as batch_store
    from adapters.database import unit_of_work

    real = unit_of_work.insert_command_records

    async def refuse_poison(connection, records, now):  # type: ignore[no-untyped-def]
        if any(r.command_id == "poison" for r in records):
            raise DataError("INSERT", {}, ValueError("value too long for the column"))
        await real(connection, records, now)

    monkeypatch.setattr(batch_store, "insert_command_records", refuse_poison)
    monkeypatch.setattr(unit_of_work, "insert_command_records", refuse_poison)
    processor = BatchingProcessor(SqlCommandStore(engine), max_wait=0.01)
    results = await processor.submit_many(
        [decode(envelope("crear-campana", crear(f"c-{n}"), n)) for n in ("ok1", "poison", "ok2")]
    )
    assert isinstance(results[1], DataError)
    assert [r.status for r in (results[0], results[2])] == ["applied", "applied"]  # type: ignore[union-attr]
    assert await count(engine, campaigns) == 2


async def test_after_a_failure_a_campaigns_later_commands_wait_behind_it(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the one-by-one path, a command that fails holds back the later commands of its
    campaign (they are tried again after it, in order); other campaigns go on."""
    from application.commands import batch

    real = batch.handle_command
    failing = {"a2"}

    async def outage_for_a2(incoming, factory, renderer):  # type: ignore[no-untyped-def]
        if incoming.command_id in failing:
            raise ConnectionError("database away")
        return await real(incoming, factory, renderer)

    monkeypatch.setattr(batch, "handle_command", outage_for_a2)

    class AlwaysOneByOne(BatchingProcessor):
        async def _in_one_transaction(self, items):  # type: ignore[no-untyped-def]
            raise ConcurrencyError("forced")

    processor = AlwaysOneByOne(SqlCommandStore(engine), max_wait=0.01)
    await processor.submit(envelope("crear-campana", crear("c-a"), "a1"))
    await processor.submit(envelope("crear-campana", crear("c-b"), "b1"))
    items = [
        decode(envelope("activar-campana", {"campana_id": "c-a"}, "a2")),
        decode(envelope("pausar-campana", {"campana_id": "c-a"}, "a3")),
        decode(envelope("activar-campana", {"campana_id": "c-b"}, "b2")),
    ]
    results = await processor.submit_many(items)
    assert isinstance(results[0], ConnectionError)
    assert isinstance(results[1], KeyHeld)  # not tried: it would overtake a2
    assert results[2].status == "applied"  # type: ignore[union-attr]

    failing.clear()  # the outage is over: a2, then a3, in that order
    again = await processor.submit_many(items[:2])
    assert [r.status for r in again] == ["applied", "applied"]  # type: ignore[union-attr]
