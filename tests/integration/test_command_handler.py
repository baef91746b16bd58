"""The command handler in its Unit of Work, on a real SQLite file and a real PostgreSQL."""

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.schema import campaigns, command_log, outbox
from adapters.database.unit_of_work import SqlUnitOfWork
from application.commands.handler import handle_command
from application.commands.incoming import CommandEnvelope
from contracts.examples import example


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def envelope(command: str, body: bytes | dict[str, object], command_id: str) -> CommandEnvelope:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return CommandEnvelope(command, command_id, f"corr-{command_id}", raw)


async def run(engine: AsyncEngine, command: str, body: bytes | dict[str, object], cid: str):  # type: ignore[no-untyped-def]
    return await handle_command(envelope(command, body, cid), lambda: SqlUnitOfWork(engine))


async def outbox_rows(engine: AsyncEngine, version: int = 1) -> list[dict[str, object]]:
    """The outbox rows of one contract version's topics, in commit order."""
    async with engine.connect() as c:
        rows = (await c.execute(select(outbox).order_by(outbox.c.seq))).mappings().all()
    return [dict(r) for r in rows if r["properties"]["schema_version"] == str(version)]


async def test_the_seed_example_creates_a_campaign_with_its_event_in_the_outbox(
    engine: AsyncEngine,
) -> None:
    outcome = await run(engine, "crear-campana", example("crear-campana"), "cmd-1")

    assert outcome.status == "applied"
    [row] = await outbox_rows(engine)
    assert row["topic"] == "persistent://public/default/alpes.campanas.eventos.campana-creada.v1"
    assert row["key"] == "c-12345"
    body = json.loads(row["payload"])  # type: ignore[arg-type]
    assert body["campana_id"] == "c-12345"
    assert body["estado"] == "draft"
    assert [p["id"] for p in body["participantes"]] == ["p-98765", "p-54321"]
    assert body["participantes"][1]["informacion_perfil"] == "Sitio web con 50k visitas mensuales"
    props = row["properties"]
    assert props["event_id"] == outcome.event_ids[0]  # type: ignore[index]
    assert props["command_id"] == "cmd-1"  # type: ignore[index]
    assert props["aggregate_version"] == "1"  # type: ignore[index]
    assert props["correlation_id"] == "corr-cmd-1"  # type: ignore[index]
    async with engine.connect() as c:
        version = (await c.execute(select(campaigns.c.version))).scalar_one()
    assert version == 1


async def test_a_resent_command_id_is_a_duplicate_with_no_new_event(engine: AsyncEngine) -> None:
    first = await run(engine, "crear-campana", example("crear-campana"), "cmd-1")
    again = await run(engine, "crear-campana", example("crear-campana"), "cmd-1")
    assert (first.status, again.status) == ("applied", "duplicate")
    assert again.event_ids == first.event_ids
    assert len(await outbox_rows(engine)) == 1


async def test_creating_an_existing_campaign_is_duplicate_when_same_and_rejected_when_not(
    engine: AsyncEngine,
) -> None:
    await run(engine, "crear-campana", example("crear-campana"), "cmd-1")
    same = await run(engine, "crear-campana", example("crear-campana"), "cmd-2")
    changed = json.loads(example("crear-campana")) | {"nombre": "Otra"}
    different = await run(engine, "crear-campana", changed, "cmd-3")

    assert same.status == "duplicate"
    assert different.status == "rejected"
    assert different.rejection is not None
    assert (different.rejection.reason, different.rejection.field) == ("CAMPAIGN_EXISTS", "id")


async def test_a_full_lifecycle_bumps_the_version_once_per_command(engine: AsyncEngine) -> None:
    await run(engine, "crear-campana", example("crear-campana"), "c1")
    for n, command in enumerate(
        [
            "activar-campana",
            "pausar-campana",
            "reanudar-campana",
            "ajustar-presupuesto",
            "agregar-participante",
            "retirar-participante",
            "finalizar-campana",
        ],
        start=2,
    ):
        outcome = await run(engine, command, example(command), f"c{n}")
        assert outcome.status == "applied", (command, outcome)
    rows = await outbox_rows(engine)
    assert [r["properties"]["event_type"] for r in rows] == [  # type: ignore[index]
        "campana-creada",
        "campana-activada",
        "campana-pausada",
        "campana-reanudada",
        "presupuesto-ajustado",
        "participante-agregado",
        "participante-retirado",
        "campana-finalizada",
    ]
    assert [r["properties"]["aggregate_version"] for r in rows] == [  # type: ignore[index]
        str(v) for v in range(1, 9)
    ]
    # The same events on the v2 stream: one topic, the campaign as key, the same ids.
    v2 = await outbox_rows(engine, version=2)
    assert {r["topic"] for r in v2} == {"persistent://public/default/alpes.campanas.eventos.v2"}
    assert {r["key"] for r in v2} == {"c-12345"}
    assert [r["event_id"] for r in v2] == [r["event_id"] for r in rows]
    assert [r["properties"]["event_type"] for r in v2] == [  # type: ignore[index]
        r["properties"]["event_type"]
        for r in rows  # type: ignore[index]
    ]


@pytest.mark.parametrize(
    ("command", "body", "reason", "field"),
    [
        ("crear-campana", {"nombre": "x"}, "MISSING_FIELD", "id"),
        ("activar-campana", {"campana_id": "c-1", "camapana": 1}, "UNKNOWN_FIELD", "camapana"),
        ("activar-campana", {"campana_id": "nope"}, "UNKNOWN_CAMPAIGN", "campana_id"),
        ("activar-campana", b"not json", "MALFORMED_MESSAGE", None),
        ("activar-campana", b"[1, 2]", "MALFORMED_MESSAGE", None),
    ],
)
async def test_invalid_commands_are_rejected_with_a_reason_and_a_rejection_event(
    engine: AsyncEngine,
    command: str,
    body: bytes | dict[str, object],
    reason: str,
    field: str | None,
) -> None:
    outcome = await run(engine, command, body, "bad-1")
    assert outcome.status == "rejected"
    assert outcome.rejection is not None
    assert (outcome.rejection.reason, outcome.rejection.field) == (reason, field)
    [row] = await outbox_rows(engine)
    event = json.loads(row["payload"])  # type: ignore[arg-type]
    assert event["reason"] == reason
    assert event["command_id"] == "bad-1"
    async with engine.connect() as c:
        status = (await c.execute(select(command_log.c.status))).scalar_one()
        count = (await c.execute(select(func.count()).select_from(campaigns))).scalar_one()
    assert status == "rejected"
    assert count == 0


async def test_an_illegal_transition_is_rejected_and_changes_nothing(engine: AsyncEngine) -> None:
    await run(engine, "crear-campana", example("crear-campana"), "c1")
    outcome = await run(engine, "pausar-campana", {"campana_id": "c-12345"}, "c2")
    assert outcome.rejection is not None
    assert outcome.rejection.reason == "ILLEGAL_TRANSITION"
    async with engine.connect() as c:
        version, estado = (await c.execute(select(campaigns.c.version, campaigns.c.estado))).one()
    assert (version, estado) == (1, "draft")


async def test_concurrent_commands_on_one_campaign_are_all_applied_once(
    engine: AsyncEngine,
) -> None:
    import asyncio

    await run(engine, "crear-campana", example("crear-campana"), "c0")
    participants = [
        {
            "campana_id": "c-12345",
            "participante": {"id": f"p-{n:03d}", "tipo": "Affiliate", "nombre": f"P{n}"},
        }
        for n in range(12)
    ]
    outcomes = await asyncio.gather(
        *(
            run(engine, "agregar-participante", body, f"add-{n}")
            for n, body in enumerate(participants)
        )
    )
    assert {o.status for o in outcomes} == {"applied"}
    rows = await outbox_rows(engine)
    versions = sorted(int(r["properties"]["aggregate_version"]) for r in rows)  # type: ignore[index]
    assert versions == list(range(1, 14)), "a lost update or a reused version"
    async with engine.connect() as c:
        version = (await c.execute(select(campaigns.c.version))).scalar_one()
        snapshot = (await c.execute(select(campaigns.c.snapshot))).scalar_one()
    assert version == 13
    assert len(snapshot["participantes"]) == 14
