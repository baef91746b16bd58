"""Out to the wire: one domain event (or rejection) rendered into each published version.

Each version has its own topic layout: v2 puts every event of a campaign on one stream,
v1 (deprecated) one event type per topic. The bodies are the same shapes; v2 writes
amounts as plain decimal strings. Both carry the same ``event_id``: it names the event,
not the message, so a consumer of both versions can tell they are one fact.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from application.records import OutboxMessage
from contracts import properties as p
from contracts import v1, v2
from contracts.topics import EVENTS_V2, event_topic
from domain import (
    CampanaActivada,
    CampanaCreada,
    CampanaFinalizada,
    CampanaPausada,
    CampanaReanudada,
    EventoDominio,
    Participante,
    ParticipanteAgregado,
    ParticipanteRetirado,
    Presupuesto,
    PresupuestoAjustado,
)

REJECTED = "comando-rechazado"

# Event ids are derived, not random: the same command always yields the same ids.
_EVENT_NAMESPACE = uuid.UUID("5b0e7d4a-9c1f-4a55-8c1e-2f6a3d9b7e10")


def event_id(command_id: str, suffix: str) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{command_id}/{suffix}"))


@dataclass(frozen=True, slots=True)
class _Version:
    number: int
    events: dict[str, type[BaseModel]]
    topic: Callable[[str], str]
    amount: Callable[[Decimal], object]


def _decimal_text(amount: Decimal) -> str:
    """A plain decimal string ("15000.00"), never an exponent, for amounts of any sane size."""
    return format(amount, "f") if -40 <= amount.adjusted() <= 40 else str(amount)


_V2 = _Version(2, v2.EVENTS, lambda _name: EVENTS_V2, _decimal_text)
_V1 = _Version(1, v1.EVENTS, event_topic, lambda amount: amount)


@dataclass(frozen=True, slots=True)
class EventMeta:
    """What every message of one command's events carries besides the body."""

    key: str
    command_id: str
    correlation_id: str
    occurred_at: str
    aggregate_version: int | None
    traceparent: str | None = None  # the command's trace, continued by its events
    tracestate: str | None = None


class EventRenderer:
    """Renders into v2 always, and into v1 unless ``v1=False`` (ALPES_PUBLISH_V1_EVENTS)."""

    def __init__(self, *, v1: bool = True) -> None:
        self._versions = (_V2, _V1) if v1 else (_V2,)

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(version.number for version in self._versions)

    def event(self, event: EventoDominio, this_event: str, meta: EventMeta) -> list[OutboxMessage]:
        name, fields = _fields(event)
        return self._render(name, fields, this_event, meta)

    def rejection(
        self, this_event: str, meta: EventMeta, **fields: str | None
    ) -> list[OutboxMessage]:
        return self._render(REJECTED, fields, this_event, meta)

    def _render(
        self,
        name: str,
        fields: Callable[[Callable[[Decimal], object]], dict[str, Any]] | dict[str, Any],
        this_event: str,
        meta: EventMeta,
    ) -> list[OutboxMessage]:
        messages = []
        for version in self._versions:
            data = fields(version.amount) if callable(fields) else fields
            body = version.events[name].model_validate(data)
            messages.append(
                OutboxMessage(
                    event_id=this_event,
                    topic=version.topic(name),
                    key=meta.key,
                    payload=body.model_dump_json().encode(),
                    properties=event_properties(this_event, name, meta, version.number),
                )
            )
        return messages


def event_properties(
    this_event: str, event_type: str, meta: EventMeta, schema_version: int
) -> dict[str, str]:
    properties = {
        p.EVENT_ID: this_event,
        p.EVENT_TYPE: event_type,
        p.OCCURRED_AT: meta.occurred_at,
        p.SCHEMA_VERSION: str(schema_version),
        p.COMMAND_ID: meta.command_id,
        p.CORRELATION_ID: meta.correlation_id,
        p.CAUSATION_ID: meta.command_id,
        "content-type": "application/json",
    }
    if meta.aggregate_version is not None:
        properties[p.AGGREGATE_VERSION] = str(meta.aggregate_version)
    if meta.traceparent is not None:
        properties[p.TRACEPARENT] = meta.traceparent
        if meta.tracestate:
            properties[p.TRACESTATE] = meta.tracestate
    return properties


Amount = Callable[[Decimal], object]


def _fields(event: EventoDominio) -> tuple[str, Callable[[Amount], dict[str, Any]]]:
    """The event's name and its body's fields, given how the version writes amounts."""
    campana = {"campana_id": event.campana_id}
    match event:
        case CampanaCreada():
            return (
                "campana-creada",
                lambda amount: (
                    campana
                    | {
                        "nombre": event.nombre,
                        "tipo": event.tipo.value,
                        "estado": event.estado.value,
                        "fecha_inicio": event.fecha_inicio,
                        "fecha_fin": event.fecha_fin,
                        "presupuesto": _presupuesto(event.presupuesto, amount),
                        "marca_id": event.marca_id,
                        "participantes": [_participante(x) for x in event.participantes],
                    }
                ),
            )
        case CampanaActivada():
            return "campana-activada", lambda _: campana
        case CampanaPausada():
            return "campana-pausada", lambda _: campana
        case CampanaReanudada():
            return "campana-reanudada", lambda _: campana
        case CampanaFinalizada():
            return "campana-finalizada", lambda _: campana
        case ParticipanteAgregado():
            return (
                "participante-agregado",
                lambda _: campana | {"participante": _participante(event.participante)},
            )
        case ParticipanteRetirado():
            return (
                "participante-retirado",
                lambda _: campana | {"participante_id": event.participante_id},
            )
        case PresupuestoAjustado():
            return (
                "presupuesto-ajustado",
                lambda amount: (
                    campana
                    | {
                        "anterior": _presupuesto(event.anterior, amount),
                        "nuevo": _presupuesto(event.nuevo, amount),
                    }
                ),
            )
    msg = f"no integration event for {type(event).__name__}"
    raise TypeError(msg)


def _presupuesto(presupuesto: Presupuesto, amount: Amount) -> dict[str, object]:
    return {"monto": amount(presupuesto.monto), "divisa": presupuesto.divisa}


def _participante(participante: Participante) -> dict[str, Any]:
    perfil = participante.informacion_perfil
    return {
        "id": participante.id,
        "tipo": participante.tipo.value,
        "nombre": participante.nombre,
        "informacion_perfil": perfil if isinstance(perfil, str) else dict(perfil),
    }
