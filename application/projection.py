"""The projection rules: what each integration event does to the campaign view.

The view is fed only by events of the v2 stream. An event applies only on top of its
predecessor (``aggregate_version - 1``); an older one is stale, a repeated one (same
``event_id``) a duplicate, and one whose predecessor is missing is ``OutOfOrder``: nothing
is recorded, and it is tried again later. These rules are the same for one event at a
time and for a batch; the read store adapters only load and write the rows.
"""

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from contracts import properties as p
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

CREATED = "campana-creada"
REJECTED = "comando-rechazado"
MAX_EVENT_ID = 64  # what the view keeps of an event id
MAX_AMOUNT = 64  # what the view keeps of an amount
_STATE_CHANGES = (CampanaActivadaV2, CampanaPausadaV2, CampanaReanudadaV2, CampanaFinalizadaV2)

Row = dict[str, Any]  # a campaign of the view, by column


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
    """One campaign as the read store shows it."""

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


@dataclass(frozen=True)
class IncomingEvent:
    """An event as the projector hands it over: type, id, version and JSON body."""

    event_type: str
    event_id: str
    aggregate_version: int | None
    body: dict[str, Any]

    @property
    def campana_id(self) -> str:
        return str(self.body.get("campana_id") or "")


def decode_event(payload: bytes, properties: Mapping[str, str]) -> IncomingEvent:
    """The event a message of the v2 stream carries; ``InvalidEvent`` when its properties
    break the contract. A body that is not JSON raises ``JSONDecodeError``."""
    event_type = properties.get(p.EVENT_TYPE)
    if not event_type:
        msg = f"the message has no {p.EVENT_TYPE} property: which event it is is unknown"
        raise InvalidEvent(msg)
    event_id = properties.get(p.EVENT_ID)
    if not event_id:
        msg = f"{event_type} has no {p.EVENT_ID} property: it cannot be deduplicated"
        raise InvalidEvent(msg)
    raw_version = properties.get(p.AGGREGATE_VERSION)
    try:
        version = None if raw_version in (None, "") else int(raw_version)
    except ValueError as e:
        msg = f"{event_type} {event_id} has {p.AGGREGATE_VERSION}={raw_version!r}; expected an int"
        raise InvalidEvent(msg) from e
    body = json.loads(payload)
    if not isinstance(body, dict):
        msg = f"{event_type} {event_id} body is a JSON {type(body).__name__}, not an object"
        raise InvalidEvent(msg)
    return IncomingEvent(event_type, event_id, version, body)


@dataclass(frozen=True, slots=True)
class Parsed:
    """An event checked against the contract: its body model (None for a rejection,
    which the view never reads) and the view version it brings."""

    event: BaseModel | None
    version: int


def parse(incoming: IncomingEvent) -> Parsed:
    """Everything wrong with one event, found before anything is written."""
    if not 0 < len(incoming.event_id) <= MAX_EVENT_ID:
        msg = (
            f"event_id {incoming.event_id!r} of {incoming.event_type} must be 1 to "
            f"{MAX_EVENT_ID} characters"
        )
        raise InvalidEvent(msg)
    return Parsed(
        parse_event(incoming.event_type, incoming.body),
        version_of(incoming.event_type, incoming.aggregate_version),
    )


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


def apply(
    incoming: IncomingEvent, parsed: Parsed, row: Row | None, now: datetime
) -> tuple[ApplyResult | OutOfOrder, Row | None]:
    """What the event does to its campaign's row (``row``: as it is, None when the view
    has no such campaign yet): the result, and the row to write (None: nothing)."""
    event = parsed.event
    if not isinstance(event, EventModel):  # a rejection: not part of the view
        return ApplyResult.IGNORED, None
    current = None if row is None else int(row["version"])
    if current is not None and current >= parsed.version:
        return ApplyResult.STALE, None
    if (current or 0) != parsed.version - 1:
        waiting = OutOfOrder(
            incoming.event_type, incoming.event_id, event.campana_id, parsed.version, current
        )
        return waiting, None
    if isinstance(event, CampanaCreadaV2):
        return ApplyResult.APPLIED, created_row(event, now)
    assert row is not None  # version >= 2 and current == version - 1
    changes = changes_for(incoming.event_type, event, row)
    return ApplyResult.APPLIED, {**row, **changes, "version": parsed.version, "updated_at": now}


def created_row(event: CampanaCreadaV2, now: datetime) -> Row:
    return {
        "id": event.campana_id,
        "nombre": event.nombre,
        "tipo": event.tipo,
        "estado": event.estado,
        "fecha_inicio": utc(event.fecha_inicio),
        "fecha_fin": utc(event.fecha_fin),
        "monto": _amount(event.presupuesto.monto),
        "divisa": event.presupuesto.divisa,
        "marca_id": event.marca_id,
        "participantes": [p.model_dump(mode="json") for p in event.participantes],
        "version": 1,
        "updated_at": now,
    }


def changes_for(event_type: str, event: BaseModel, row: Mapping[Any, Any]) -> Row:
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


def view_of(row: Mapping[Any, Any]) -> CampaignView:
    return CampaignView(
        id=row["id"],
        nombre=row["nombre"],
        tipo=row["tipo"],
        estado=row["estado"],
        fecha_inicio=utc(row["fecha_inicio"]),
        fecha_fin=utc(row["fecha_fin"]),
        monto=Decimal(row["monto"]),
        divisa=row["divisa"],
        marca_id=row["marca_id"],
        participantes=list(row["participantes"]),
        version=row["version"],
        updated_at=utc(row["updated_at"]),
    )


def utc(moment: datetime) -> datetime:
    """Aware, in UTC. SQLite keeps no offset (it hands back naive UTC), so store UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return utc(moment).isoformat().replace("+00:00", "Z")


def _budgets(event: BaseModel) -> list[PresupuestoEventoV2]:
    if isinstance(event, CampanaCreadaV2):
        return [event.presupuesto]
    if isinstance(event, PresupuestoAjustadoV2):
        return [event.anterior, event.nuevo]
    return []


def _amount(text: str) -> str:
    """The event's decimal string as the view keeps it: never exponent notation."""
    try:
        amount = Decimal(text)
    except ArithmeticError as e:
        msg = f"monto {text[:80]!r} is not a decimal string"
        raise InvalidEvent(msg) from e
    shown = format(amount, "f")  # "10000", not "1E+4"
    if not amount.is_finite() or len(shown) > MAX_AMOUNT:
        msg = f"monto {text[:80]!r} is not a finite amount of at most {MAX_AMOUNT} characters"
        raise InvalidEvent(msg)
    return shown
