"""The read store fed by integration events (v2 bodies: amounts are decimal strings), on a
real SQLite file and a real PostgreSQL."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.read_store import apply_event, get_campaign, list_campaigns, reset
from adapters.database.schema import projected_events
from application.projection import ApplyResult, InvalidEvent, OutOfOrder
from tests.support.events import Event, creada, lifecycle, rechazado


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def apply(engine: AsyncEngine, event: Event) -> ApplyResult:
    return await apply_event(engine, event.type, event.id, event.version, event.body)


async def recorded_ids(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as c:
        return set((await c.execute(select(projected_events.c.event_id))).scalars())


async def test_a_full_lifecycle_applied_in_order_gives_the_final_view(engine: AsyncEngine) -> None:
    events = lifecycle("c-1")

    results = [await apply(engine, e) for e in events]

    assert results == [ApplyResult.APPLIED] * 8
    view = await get_campaign(engine, "c-1")
    assert view is not None
    assert (view.estado, view.version) == ("finished", 8)
    assert (view.nombre, view.tipo, view.marca_id) == ("Campaña c-1", "Influencer", "b-1")
    assert (view.monto, view.divisa) == (Decimal("18000.05"), "USD")
    assert [x["id"] for x in view.participantes] == ["p-2", "p-3"]
    assert view.participantes[0]["informacion_perfil"] == "50k visitas"
    assert view.fecha_inicio == datetime(2025, 9, 10, 0, 0, tzinfo=UTC)
    assert view.fecha_inicio.utcoffset() == timedelta(0)
    assert view.fecha_fin == datetime(2025, 12, 10, 23, 59, 59, tzinfo=UTC)
    assert view.updated_at.tzinfo is not None
    assert await recorded_ids(engine) == {e.id for e in events}


async def test_each_step_of_the_lifecycle_shows_in_the_view(engine: AsyncEngine) -> None:
    expected = [
        ("draft", ["p-1", "p-2"], "15000.10"),
        ("active", ["p-1", "p-2"], "15000.10"),
        ("paused", ["p-1", "p-2"], "15000.10"),
        ("paused", ["p-1", "p-2", "p-3"], "15000.10"),
        ("paused", ["p-1", "p-2", "p-3"], "18000.05"),
        ("paused", ["p-2", "p-3"], "18000.05"),
        ("active", ["p-2", "p-3"], "18000.05"),
        ("finished", ["p-2", "p-3"], "18000.05"),
    ]
    for event, (estado, participantes, monto) in zip(lifecycle("c-1"), expected, strict=True):
        await apply(engine, event)
        view = await get_campaign(engine, "c-1")
        assert view is not None
        assert (view.estado, [x["id"] for x in view.participantes], view.monto) == (
            estado,
            participantes,
            Decimal(monto),
        ), event.type
        assert view.version == event.version


async def test_a_duplicate_event_id_changes_nothing(engine: AsyncEngine) -> None:
    created, activated, *_ = lifecycle("c-1")
    await apply(engine, created)
    assert await apply(engine, activated) == ApplyResult.APPLIED
    before = await get_campaign(engine, "c-1")

    again = await apply(engine, activated)
    created_again = await apply(engine, created)

    assert (again, created_again) == (ApplyResult.DUPLICATE, ApplyResult.DUPLICATE)
    assert await get_campaign(engine, "c-1") == before


async def test_an_out_of_order_event_records_nothing_and_applies_once_its_predecessor_is_in(
    engine: AsyncEngine,
) -> None:
    created, activated, paused, *_ = lifecycle("c-1")

    with pytest.raises(OutOfOrder, match="no view yet: waiting for version 1") as early:
        await apply(engine, activated)
    assert (early.value.campana_id, early.value.version, early.value.current) == ("c-1", 2, None)
    assert await recorded_ids(engine) == set()
    assert await get_campaign(engine, "c-1") is None

    await apply(engine, created)
    with pytest.raises(OutOfOrder, match="the view is at version 1: waiting for version 2"):
        await apply(engine, paused)
    assert await recorded_ids(engine) == {created.id}

    assert await apply(engine, activated) == ApplyResult.APPLIED
    assert await apply(engine, paused) == ApplyResult.APPLIED
    view = await get_campaign(engine, "c-1")
    assert view is not None
    assert (view.estado, view.version) == ("paused", 3)


async def test_an_event_the_view_is_already_past_is_stale_and_changes_nothing(
    engine: AsyncEngine,
) -> None:
    created, activated, paused, *_ = lifecycle("c-1")
    for event in (created, activated, paused):
        await apply(engine, event)
    # The same change re-emitted under another id (e.g. by a replayed command).
    old = Event("campana-activada", "other-id", 2, activated.model)
    recreated = Event("campana-creada", "other-creada", 1, created.model)

    assert await apply(engine, old) == ApplyResult.STALE
    assert await apply(engine, recreated) == ApplyResult.STALE
    view = await get_campaign(engine, "c-1")
    assert view is not None
    assert (view.estado, view.version) == ("paused", 3)
    assert {"other-id", "other-creada"} <= await recorded_ids(engine)


async def test_a_rejection_event_is_recorded_but_not_part_of_the_view(engine: AsyncEngine) -> None:
    rejection = rechazado("cmd-9", "c-1")

    assert await apply(engine, rejection) == ApplyResult.IGNORED
    assert await apply(engine, rejection) == ApplyResult.DUPLICATE
    assert await list_campaigns(engine) == []
    assert await recorded_ids(engine) == {rejection.id}


def with_monto(monto: object) -> dict[str, Any]:
    """A campana-creada body whose amount is ``monto``, as it is on the wire."""
    body = creada("c-1").body
    return body | {"presupuesto": {"monto": monto, "divisa": "USD"}}


@pytest.mark.parametrize(
    ("event_type", "version", "body", "message"),
    [
        ("campana-borrada", 2, {"campana_id": "c-1"}, "Unknown event type 'campana-borrada'"),
        ("campana-activada", None, {"campana_id": "c-1"}, "expected an integer >= 2"),
        ("campana-creada", 3, None, "aggregate_version 3; expected 1"),
        ("participante-retirado", 2, {"campana_id": "c-1"}, "participante_id"),
        # v2 amounts are decimal strings: a v1 body (a JSON number) is not a v2 event.
        ("campana-creada", 1, with_monto(15000.1), "presupuesto.monto"),
        ("campana-creada", 1, with_monto("quince mil"), "is not a decimal string"),
        ("campana-creada", 1, with_monto("NaN"), "is not a finite amount"),
        ("campana-creada", 1, with_monto("1E+70"), "at most 64 characters"),
    ],
    ids=[
        "unknown-type",
        "no-version",
        "creada-not-version-1",
        "missing-field",
        "monto-number",
        "monto-not-decimal",
        "monto-nan",
        "monto-too-long",
    ],
)
async def test_an_event_that_breaks_the_contract_is_invalid_and_records_nothing(
    engine: AsyncEngine,
    event_type: str,
    version: int | None,
    body: dict[str, Any] | None,
    message: str,
) -> None:
    with pytest.raises(InvalidEvent, match=message):
        await apply_event(engine, event_type, "bad-1", version, body or creada("c-1").body)
    assert await recorded_ids(engine) == set()


async def test_a_budget_change_with_an_amount_that_is_not_decimal_is_invalid_and_changes_nothing(
    engine: AsyncEngine,
) -> None:
    created, activated, paused, _, adjusted, *_ = lifecycle("c-1")
    for event in (created, activated, paused):
        await apply(engine, event)
    before = await get_campaign(engine, "c-1")
    body = adjusted.body | {"nuevo": {"monto": "18.000,05", "divisa": "USD"}}

    with pytest.raises(InvalidEvent, match=r"'18\.000,05' is not a decimal string"):
        await apply_event(engine, adjusted.type, "bad-1", 4, body)

    assert await get_campaign(engine, "c-1") == before
    assert "bad-1" not in await recorded_ids(engine)


async def test_an_event_id_too_long_to_record_is_invalid(engine: AsyncEngine) -> None:
    created = creada("c-1")
    with pytest.raises(InvalidEvent, match="must be 1 to 64 characters"):
        await apply_event(engine, created.type, "e" * 65, 1, created.body)
    assert await get_campaign(engine, "c-1") is None


async def test_money_stays_exact(engine: AsyncEngine) -> None:
    await apply(engine, creada("c-1", monto="15000.10"))
    await apply(engine, creada("c-2", monto="0.30"))
    await apply(engine, creada("c-3", monto="12345678901234567890.01"))
    # Exponent notation (as very large amounts are written) is kept without the exponent.
    await apply(engine, creada("c-4", monto="1E+41"))
    await apply(engine, creada("c-5", monto="1E+4"))

    views = {v.id: v for v in await list_campaigns(engine)}

    assert views["c-1"].monto == Decimal("15000.10")
    assert str(views["c-1"].monto) == "15000.10"
    assert views["c-1"].to_json()["monto"] == "15000.10"
    assert str(views["c-2"].monto) == "0.30"
    assert str(views["c-3"].monto) == "12345678901234567890.01"
    assert views["c-4"].to_json()["monto"] == "1" + "0" * 41
    assert views["c-5"].to_json()["monto"] == "10000"


async def test_list_filters_by_brand_state_and_type_and_orders_by_id(engine: AsyncEngine) -> None:
    await apply(engine, creada("c-3", marca_id="b-1", tipo="Influencer"))
    await apply(engine, creada("c-1", marca_id="b-1", tipo="Affiliate"))
    await apply(engine, creada("c-2", marca_id="b-2", tipo="Influencer"))
    await apply(engine, lifecycle("c-3")[1])  # c-3 active

    async def ids(**filters: Any) -> list[str]:
        return [v.id for v in await list_campaigns(engine, **filters)]

    assert await ids() == ["c-1", "c-2", "c-3"]
    assert await ids(marca_id="b-1") == ["c-1", "c-3"]
    assert await ids(estado="active") == ["c-3"]
    assert await ids(estado="draft") == ["c-1", "c-2"]
    assert await ids(tipo="Influencer") == ["c-2", "c-3"]
    assert await ids(marca_id="b-1", tipo="Influencer", estado="active") == ["c-3"]
    assert await ids(marca_id="b-9") == []
    assert await ids(limit=2) == ["c-1", "c-2"]
    assert await ids(limit=2, offset=2) == ["c-3"]


async def test_the_json_form_is_json_safe_and_in_utc(engine: AsyncEngine) -> None:
    await apply(engine, creada("c-1"))
    view = await get_campaign(engine, "c-1")
    assert view is not None

    data = json.loads(json.dumps(view.to_json()))

    assert data["fecha_inicio"] == "2025-09-10T00:00:00Z"
    assert data["fecha_fin"] == "2025-12-10T23:59:59Z"
    assert data["monto"] == "15000.10"
    assert data["participantes"][0] == {
        "id": "p-1",
        "tipo": "Influencer",
        "nombre": "Alice",
        "informacion_perfil": {"seguidores": 200000},
    }
    assert data["version"] == 1
    assert data["updated_at"].endswith("Z")


async def test_reset_empties_the_view_and_forgets_the_event_ids(engine: AsyncEngine) -> None:
    created = creada("c-1")
    await apply(engine, created)

    await reset(engine)

    assert await list_campaigns(engine) == []
    assert await recorded_ids(engine) == set()
    assert await apply(engine, created) == ApplyResult.APPLIED


async def test_concurrent_appliers_of_one_campaign_converge(engine: AsyncEngine) -> None:
    events = lifecycle("c-1")
    await apply(engine, events[0])

    async def keep_trying(event: Event) -> ApplyResult:
        while True:
            try:
                return await apply(engine, event)
            except OutOfOrder:
                await asyncio.sleep(0.01)

    # Every event twice (a redelivery), all at once, in reverse order.
    tasks = [keep_trying(e) for e in reversed(events[1:]) for _ in range(2)]
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)

    assert results.count(ApplyResult.APPLIED) == 7
    assert results.count(ApplyResult.DUPLICATE) == 7
    view = await get_campaign(engine, "c-1")
    assert view is not None
    assert (view.estado, view.version, view.monto) == ("finished", 8, Decimal("18000.05"))
