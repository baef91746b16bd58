"""The read store: the campaign view, fed only by integration events.

Each event is applied in one transaction that also records its ``event_id``, so a
redelivered event changes nothing. Events of one campaign arrive in order on the v2
stream; still, an event applies only on top of its predecessor
(``aggregate_version - 1``); an older one is stale, and one whose predecessor is missing
raises ``OutOfOrder`` with nothing recorded, for the caller to retry later. Every write is
conditional (primary keys, ``UPDATE ... WHERE version = :expected``), so concurrent
appliers of the same campaign cannot both win; the loser re-reads and decides again.
"""

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.v2.events import (
    EVENTS,
    CampanaActivadaV2,
    CampanaCreadaV2,
    CampanaFinalizadaV2,
    CampanaPausadaV2,
    CampanaReanudadaV2,
    EventModel,
    ParticipanteAgregadoV2,
    ParticipanteRetiradoV2,
    PresupuestoAjustadoV2,
    PresupuestoEventoV2,
)

from .schema import campaign_view, projected_events

CREATED = "campana-creada"
REJECTED = "comando-rechazado"
_STATE_CHANGES = (CampanaActivadaV2, CampanaPausadaV2, CampanaReanudadaV2, CampanaFinalizadaV2)
# Conflicts come only from a concurrent applier making progress; a few re-reads settle it.
_MAX_ATTEMPTS = 5
_MAX_EVENT_ID = 64  # projected_events.event_id is String(64)
_MAX_AMOUNT = 64  # campaign_view.monto is String(64)


class ApplyResult(enum.StrEnum):
    APPLIED = "applied"  # the view changed
    DUPLICATE = "duplicate"  # this event id was seen before: nothing changed
    STALE = "stale"  # the view is already at or past this version: recorded, no change
    IGNORED = "ignored"  # not a campaign-view event (rejections): recorded, no change


class OutOfOrder(Exception):
    """The event's predecessor has not been applied yet. Nothing was recorded: deliver the
    event again later."""

    def __init__(
        self, event_type: str, event_id: str, campana_id: str, version: int, current: int | None
    ) -> None:
        self.event_type = event_type
        self.event_id = event_id
        self.campana_id = campana_id
        self.version = version
        self.current = current
        have = "no view yet" if current is None else f"the view is at version {current}"
        super().__init__(
            f"{event_type} {event_id} brings campaign {campana_id!r} to version {version}, "
            f"but {have}: waiting for version {version - 1} first"
        )


class InvalidEvent(ValueError):
    """The event breaks the contract (unknown type, bad body or version): no redelivery
    can fix it."""


class ProjectionConflict(RuntimeError):
    """Concurrent appliers kept changing the campaign under this one: try again later."""


@dataclass(frozen=True, slots=True)
class CampaignView:
    id: str
    nombre: str
    tipo: str
    estado: str
    fecha_inicio: datetime
    fecha_fin: datetime
    monto: Decimal
    divisa: str
    marca_id: str
    participantes: list[dict[str, Any]]
    version: int
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nombre": self.nombre,
            "tipo": self.tipo,
            "estado": self.estado,
            "fecha_inicio": _iso(self.fecha_inicio),
            "fecha_fin": _iso(self.fecha_fin),
            "monto": format(self.monto, "f"),  # never exponent notation
            "divisa": self.divisa,
            "marca_id": self.marca_id,
            "participantes": [dict(p) for p in self.participantes],
            "version": self.version,
            "updated_at": _iso(self.updated_at),
        }


async def apply_event(
    engine: AsyncEngine,
    event_type: str,
    event_id: str,
    aggregate_version: int | None,
    body: dict[str, Any],
) -> ApplyResult:
    """Apply one integration event to the campaign view (see the module docstring).

    Raises ``OutOfOrder`` (retry later), ``InvalidEvent`` (never retry) or
    ``ProjectionConflict`` (retry later)."""
    if not 0 < len(event_id) <= _MAX_EVENT_ID:
        msg = f"event_id {event_id!r} of {event_type} must be 1 to {_MAX_EVENT_ID} characters"
        raise InvalidEvent(msg)
    event = parse_event(event_type, body)
    version = version_of(event_type, aggregate_version)
    for _ in range(_MAX_ATTEMPTS):
        try:
            return await _apply_once(engine, event_type, event_id, version, event)
        except (_Conflict, IntegrityError):
            continue
    msg = f"{event_type} {event_id}: the campaign kept changing during {_MAX_ATTEMPTS} attempts"
    raise ProjectionConflict(msg)


async def get_campaign(engine: AsyncEngine, campana_id: str) -> CampaignView | None:
    async with engine.connect() as connection:
        row = await _row(connection, campana_id)
    return None if row is None else _view(row)


async def list_campaigns(
    engine: AsyncEngine,
    *,
    marca_id: str | None = None,
    estado: str | None = None,
    tipo: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[CampaignView]:
    """Campaigns matching every filter given, ordered by id."""
    if limit < 0 or offset < 0:
        msg = f"limit and offset must be >= 0, got limit={limit}, offset={offset}"
        raise ValueError(msg)
    query = select(campaign_view).order_by(campaign_view.c.id).limit(limit).offset(offset)
    if marca_id is not None:
        query = query.where(campaign_view.c.marca_id == marca_id)
    if estado is not None:
        query = query.where(campaign_view.c.estado == estado)
    if tipo is not None:
        query = query.where(campaign_view.c.tipo == tipo)
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [_view(row) for row in rows]


async def reset(engine: AsyncEngine) -> None:
    """Empty the read store (before a rebuild)."""
    async with engine.begin() as connection:
        await connection.execute(delete(campaign_view))
        await connection.execute(delete(projected_events))


class _Conflict(Exception):
    """A conditional write matched nothing: someone else moved the campaign on."""


def parse_event(event_type: str, body: dict[str, Any]) -> BaseModel | None:
    """The validated body; None for a rejection, whose body the view never reads."""
    model = EVENTS.get(event_type)
    if model is None:
        msg = f"Unknown event type {event_type!r}; expected one of {', '.join(EVENTS)}"
        raise InvalidEvent(msg)
    if event_type == REJECTED:
        return None
    try:
        event = model.model_validate(body)
    except ValidationError as e:
        msg = f"Invalid {event_type} body: {e}"
        raise InvalidEvent(msg) from e
    # An amount the view cannot keep is this event's fault, found before any write.
    for budget in _budgets(event):
        _amount(budget.monto)
    return event


def _budgets(event: BaseModel) -> list[PresupuestoEventoV2]:
    if isinstance(event, CampanaCreadaV2):
        return [event.presupuesto]
    if isinstance(event, PresupuestoAjustadoV2):
        return [event.anterior, event.nuevo]
    return []


def version_of(event_type: str, aggregate_version: int | None) -> int:
    if event_type == REJECTED:
        return 0  # not a campaign-view event: its version is never looked at
    if event_type == CREATED and aggregate_version in (None, 1):
        return 1
    if event_type == CREATED or aggregate_version is None or aggregate_version < 2:
        expected = "1" if event_type == CREATED else "an integer >= 2"
        msg = f"{event_type} has aggregate_version {aggregate_version!r}; expected {expected}"
        raise InvalidEvent(msg)
    return aggregate_version


async def _apply_once(
    engine: AsyncEngine, event_type: str, event_id: str, version: int, event: BaseModel | None
) -> ApplyResult:
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        seen = await connection.execute(
            select(projected_events.c.event_id).where(projected_events.c.event_id == event_id)
        )
        if seen.first() is not None:
            return ApplyResult.DUPLICATE
        if not isinstance(event, EventModel):  # a rejection: not part of the view
            await _record(connection, event_id, now)
            return ApplyResult.IGNORED
        campana_id = event.campana_id
        row = await _row(connection, campana_id)
        current: int | None = None if row is None else row["version"]
        if current is not None and current >= version:
            await _record(connection, event_id, now)
            return ApplyResult.STALE
        if (current or 0) != version - 1:
            raise OutOfOrder(event_type, event_id, campana_id, version, current)
        if isinstance(event, CampanaCreadaV2):
            await connection.execute(insert(campaign_view).values(**created_row(event, now)))
        else:
            assert row is not None  # version >= 2 and current == version - 1
            changed = await connection.execute(
                update(campaign_view)
                .where(campaign_view.c.id == campana_id, campaign_view.c.version == current)
                .values(**changes_for(event_type, event, row), version=version, updated_at=now)
            )
            if changed.rowcount != 1:
                raise _Conflict
        await _record(connection, event_id, now)
        return ApplyResult.APPLIED


async def _row(connection: AsyncConnection, campana_id: str) -> RowMapping | None:
    query = select(campaign_view).where(campaign_view.c.id == campana_id)
    return (await connection.execute(query)).mappings().first()


async def _record(connection: AsyncConnection, event_id: str, now: datetime) -> None:
    await connection.execute(insert(projected_events).values(event_id=event_id, projected_at=now))


def created_row(event: CampanaCreadaV2, now: datetime) -> dict[str, Any]:
    return {
        "id": event.campana_id,
        "nombre": event.nombre,
        "tipo": event.tipo,
        "estado": event.estado,
        "fecha_inicio": _utc(event.fecha_inicio),
        "fecha_fin": _utc(event.fecha_fin),
        "monto": _amount(event.presupuesto.monto),
        "divisa": event.presupuesto.divisa,
        "marca_id": event.marca_id,
        "participantes": [p.model_dump(mode="json") for p in event.participantes],
        "version": 1,
        "updated_at": now,
    }


def changes_for(event_type: str, event: BaseModel, row: Mapping[Any, Any]) -> dict[str, Any]:
    if isinstance(event, _STATE_CHANGES):
        return {"estado": event.estado}
    if isinstance(event, ParticipanteAgregadoV2):
        added = event.participante.model_dump(mode="json")
        others = [p for p in row["participantes"] if p.get("id") != added["id"]]
        return {"participantes": [*others, added]}
    if isinstance(event, ParticipanteRetiradoV2):
        kept = [p for p in row["participantes"] if p.get("id") != event.participante_id]
        return {"participantes": kept}
    if isinstance(event, PresupuestoAjustadoV2):
        return {"monto": _amount(event.nuevo.monto), "divisa": event.nuevo.divisa}
    msg = f"No campaign-view change is defined for {event_type!r}"
    raise InvalidEvent(msg)


def _view(row: RowMapping) -> CampaignView:
    return CampaignView(
        id=row["id"],
        nombre=row["nombre"],
        tipo=row["tipo"],
        estado=row["estado"],
        fecha_inicio=_utc(row["fecha_inicio"]),
        fecha_fin=_utc(row["fecha_fin"]),
        monto=Decimal(row["monto"]),
        divisa=row["divisa"],
        marca_id=row["marca_id"],
        participantes=list(row["participantes"]),
        version=row["version"],
        updated_at=_utc(row["updated_at"]),
    )


def _utc(moment: datetime) -> datetime:
    """Aware, in UTC. SQLite keeps no offset (it hands back naive UTC), so store UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat().replace("+00:00", "Z")


def _amount(text: str) -> str:
    """The event's decimal string as the view keeps it: never exponent notation."""
    try:
        amount = Decimal(text)
    except ArithmeticError as e:
        msg = f"monto {text[:80]!r} is not a decimal string"
        raise InvalidEvent(msg) from e
    shown = format(amount, "f")  # "10000", not "1E+4"
    if not amount.is_finite() or len(shown) > _MAX_AMOUNT:
        msg = f"monto {text[:80]!r} is not a finite amount of at most {_MAX_AMOUNT} characters"
        raise InvalidEvent(msg)
    return shown
