"""The batched command path gives exactly what one-at-a-time processing gives.

Any mix of valid and invalid commands, of both contract versions, on a few campaigns, is
applied twice on a real database: once one command per Unit of Work, once through the
batch processor in batches of any size (some of them forced down the one-by-one
fallback that a conflict with another worker takes). The outcomes, the events written
to the outbox, the command log and the campaigns must be the same.
"""

import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.batch import SqlCommandStore
from adapters.database.engine import create_engine
from adapters.database.migrate import upgrade
from adapters.database.schema import campaigns, command_log, outbox
from adapters.database.unit_of_work import SqlUnitOfWork
from application.commands.batch import BatchingProcessor
from application.commands.handler import Outcome, handle_command
from application.commands.incoming import CommandEnvelope, IncomingCommand, decode
from application.errors import ConcurrencyError
from contracts.topics import COMMAND_NAMES

CAMPAIGNS = ("c-a", "c-b", "c-c")
PARTICIPANTS = ("p-1", "p-2", "p-3")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


def participante(pid: str) -> dict[str, Any]:
    return {"id": pid, "tipo": "Affiliate", "nombre": f"P {pid}"}


def valid_body(kind: str, campaign: str, contract: int, draw: st.DrawFn) -> dict[str, Any]:
    def amount(value: str) -> Any:
        return value if contract == 2 or draw(st.booleans()) else float(value)

    if kind == "crear-campana":
        return {
            ("campana_id" if contract == 2 else "id"): campaign,
            # Few variants, so that the same creation data is often sent twice.
            "nombre": draw(st.sampled_from(["Moda", "Moda", "Moda", "Otra"])),
            "tipo": "Mixed",
            "fecha_inicio": "2025-09-10T00:00:00Z",
            "fecha_fin": "2025-12-10T00:00:00Z",
            "presupuesto": {"monto": amount("1000.50"), "divisa": "USD"},
            "marca_id": "b-1",
            "participantes": [participante(p) for p in draw(st.sampled_from([[], ["p-1"]]))],
        }
    body: dict[str, Any] = {"campana_id": campaign}
    if kind == "agregar-participante":
        body["participante"] = participante(draw(st.sampled_from(PARTICIPANTS)))
    elif kind == "retirar-participante":
        body["participante_id"] = draw(st.sampled_from(PARTICIPANTS))
    elif kind == "ajustar-presupuesto":
        monto = draw(st.sampled_from(["200", "300.25", "0", "-1"]))
        body["presupuesto"] = {
            "monto": amount(monto),
            "divisa": draw(st.sampled_from(["USD", "USD", "EUR"])),
        }
    return body


@st.composite
def commands(draw: st.DrawFn) -> CommandEnvelope:
    contract = draw(st.sampled_from([1, 2]))
    # Creates are drawn more often: re-sent creations are where batches can go wrong.
    kind = draw(st.sampled_from([*COMMAND_NAMES, *["crear-campana"] * 4]))
    campaign = draw(st.sampled_from(CAMPAIGNS))
    body: Any = valid_body(kind, campaign, contract, draw)
    key: str | None = campaign
    command_type = kind
    expected: str | None = None
    mutation = draw(
        st.sampled_from(
            ["none"] * 8 + ["garbage", "drop", "value", "extra", "key", "type", "expected"]
        )
    )
    if mutation == "garbage":
        body = draw(st.binary(max_size=30))
    elif mutation == "drop" and body:
        body.pop(draw(st.sampled_from(sorted(body))))
    elif mutation == "value" and body:
        body[draw(st.sampled_from(sorted(body)))] = draw(JSON)
    elif mutation == "extra":
        body["extra"] = draw(JSON)
    elif mutation == "key":
        key = draw(st.sampled_from([None, "c-zzz", *CAMPAIGNS]))
    elif mutation == "type":
        command_type = draw(st.sampled_from(["", "borrar-campana", *COMMAND_NAMES]))
    elif mutation == "expected":
        expected = draw(st.sampled_from(["0", "1", "2", "3", "x"]))
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    # A small pool of ids: some commands are re-sent, some ids reused for another command.
    command_id = draw(st.sampled_from([f"cmd-{n}" for n in range(25)]))
    if contract == 1:
        return CommandEnvelope(kind, command_id, f"corr-{command_id}", raw)
    return CommandEnvelope(
        command_type,
        command_id,
        f"corr-{command_id}",
        raw,
        contract=2,
        key=key,
        expected_version=expected,
    )


class FallbackSometimes(BatchingProcessor):
    """Sends the batches the test chose down the one-by-one path, as a conflict would."""

    def __init__(self, engine: AsyncEngine, conflicts: list[bool], max_batch: int) -> None:
        super().__init__(SqlCommandStore(engine), max_batch=max_batch, max_wait=0)
        self._conflicts = iter(conflicts)

    async def _in_one_transaction(
        self, items: list[IncomingCommand]
    ) -> list[Outcome | BaseException]:
        if next(self._conflicts, False):
            raise ConcurrencyError("the test says another worker got in first")
        return await super()._in_one_transaction(items)


def summary(result: Outcome | BaseException) -> Any:
    if isinstance(result, BaseException):
        return repr(result)
    rejection = result.rejection
    why = None if rejection is None else (rejection.reason, rejection.field, rejection.message)
    return result.status, result.command_id, result.event_ids, why


async def state(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as c:
        rows = (await c.execute(select(outbox).order_by(outbox.c.seq))).mappings().all()
        events = [
            (
                r["event_id"],
                r["topic"],
                r["key"],
                r["payload"],
                {k: v for k, v in r["properties"].items() if k != "occurred_at"},
            )
            for r in rows
        ]
        log = {
            r["command_id"]: {k: v for k, v in r.items() if k != "processed_at"}
            for r in (await c.execute(select(command_log))).mappings()
        }
        stored = {
            r["id"]: (r["version"], r["estado"], r["snapshot"])
            for r in (await c.execute(select(campaigns))).mappings()
        }
    return {"events": events, "log": log, "campaigns": stored}


async def clear(engine: AsyncEngine) -> None:
    async with engine.begin() as c:
        for table in (outbox, command_log, campaigns):
            await c.execute(delete(table))


async def one_at_a_time(engine: AsyncEngine, batch: Sequence[CommandEnvelope]) -> list[Any]:
    results: list[Any] = []
    for envelope in batch:
        try:
            results.append(summary(await handle_command(envelope, lambda: SqlUnitOfWork(engine))))
        except Exception as error:
            results.append(summary(error))
    return results


async def in_batches(
    engine: AsyncEngine,
    batch: Sequence[CommandEnvelope],
    sizes: list[int],
    conflicts: list[bool],
    max_batch: int,
) -> list[Any]:
    processor = FallbackSometimes(engine, conflicts, max_batch)
    incoming = [decode(e) for e in batch]
    results: list[Any] = []
    start = 0
    try:
        for size in [*sizes, len(incoming)]:
            chunk = incoming[start : start + size]
            start += len(chunk)
            if chunk:
                results.extend(summary(r) for r in await processor.submit_many(chunk))
    finally:
        await processor.close()
    return results


async def assert_same(
    engine: AsyncEngine,
    batch: Sequence[CommandEnvelope],
    sizes: list[int],
    conflicts: list[bool],
    max_batch: int,
) -> None:
    await clear(engine)
    expected = await one_at_a_time(engine, batch)
    expected_state = await state(engine)
    await clear(engine)
    got = await in_batches(engine, batch, sizes, conflicts, max_batch)
    got_state = await state(engine)
    assert got == expected
    assert got_state["campaigns"] == expected_state["campaigns"]
    assert got_state["log"] == expected_state["log"]
    assert got_state["events"] == expected_state["events"]


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """One SQLite file for every example of the test, emptied before each run."""
    path = tmp_path / "alpes.db"
    await upgrade(f"sqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    yield engine
    await engine.dispose()


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    batch=st.lists(commands(), min_size=1, max_size=30),
    sizes=st.lists(st.integers(min_value=1, max_value=12), max_size=6),
    conflicts=st.lists(st.booleans(), max_size=6),
    max_batch=st.integers(min_value=1, max_value=20),
)
async def test_batches_give_what_one_at_a_time_gives(
    sqlite_engine: AsyncEngine,
    batch: list[CommandEnvelope],
    sizes: list[int],
    conflicts: list[bool],
    max_batch: int,
) -> None:
    await assert_same(sqlite_engine, batch, sizes, conflicts, max_batch)


async def test_the_same_creation_twice_in_one_batch_is_a_duplicate(
    sqlite_engine: AsyncEngine,
) -> None:
    body = json.dumps(fixed_body("crear-campana", "c-a", 2, 0)).encode()
    batch = [
        CommandEnvelope("crear-campana", f"x{n}", "c", body, contract=2, key="c-a")
        for n in range(2)
    ]
    await clear(sqlite_engine)
    outcomes = await in_batches(sqlite_engine, batch, [], [], 10)
    assert [o[0] for o in outcomes] == ["applied", "duplicate"]
    await assert_same(sqlite_engine, batch, [], [], 10)


async def test_a_long_mixed_stream_gives_the_same_on_both_databases(database_url: str) -> None:
    """One fixed, larger draw on SQLite and PostgreSQL alike."""
    batch = deterministic_stream(400)
    engine = create_engine(database_url)
    try:
        await assert_same(engine, batch, [7, 50, 1, 120, 3], [False, True, False], 64)
    finally:
        await engine.dispose()


def deterministic_stream(n: int) -> list[CommandEnvelope]:
    """Every command type in turn over a few campaigns, both versions, with bad ones mixed
    in every few commands (a fixed stream: the same on every run)."""
    stream: list[CommandEnvelope] = []
    for i in range(n):
        kind = COMMAND_NAMES[i % len(COMMAND_NAMES)]
        campaign = CAMPAIGNS[i % len(CAMPAIGNS)]
        contract = 1 + i % 2
        body: Any = fixed_body(kind, campaign, contract, i)
        if i % 11 == 0:
            body = b'{"campana_id": ' + b"[" * 2000
        elif i % 13 == 0:
            body = {**body, "unexpected": i}
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        command_id = f"cmd-{i % 150}"
        key = campaign if i % 17 else "c-wrong"
        if contract == 1:
            stream.append(CommandEnvelope(kind, command_id, "corr", raw))
        else:
            stream.append(
                CommandEnvelope(
                    kind,
                    command_id,
                    "corr",
                    raw,
                    contract=2,
                    key=key,
                    expected_version=str(i % 5) if i % 7 == 0 else None,
                )
            )
    return stream


def fixed_body(kind: str, campaign: str, contract: int, i: int) -> dict[str, Any]:
    if kind == "crear-campana":
        return {
            ("campana_id" if contract == 2 else "id"): campaign,
            "nombre": "Moda",
            "tipo": "Mixed",
            "fecha_inicio": "2025-09-10T00:00:00Z",
            "fecha_fin": "2025-12-10T00:00:00Z",
            "presupuesto": {"monto": "1000", "divisa": "USD"},
            "marca_id": "b-1",
        }
    body: dict[str, Any] = {"campana_id": campaign}
    pid = PARTICIPANTS[i % len(PARTICIPANTS)]
    if kind == "agregar-participante":
        body["participante"] = participante(pid)
    elif kind == "retirar-participante":
        body["participante_id"] = pid
    elif kind == "ajustar-presupuesto":
        body["presupuesto"] = {"monto": str(100 + i), "divisa": "USD" if i % 4 else "EUR"}
    return body
