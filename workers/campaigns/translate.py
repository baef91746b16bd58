"""Contract <-> domain: v1 command bodies to domain commands, domain events to v1 events."""

import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from adapters.database.snapshot import participante_to_json
from contracts import properties as p
from contracts.topics import event_topic
from contracts.v1 import (
    ActivarCampanaV1,
    AgregarParticipanteV1,
    AjustarPresupuestoV1,
    CampanaActivadaV1,
    CampanaCreadaV1,
    CampanaFinalizadaV1,
    CampanaPausadaV1,
    CampanaReanudadaV1,
    ComandoCampanaV1,
    CrearCampanaV1,
    FinalizarCampanaV1,
    ParticipanteAgregadoV1,
    ParticipanteRetiradoV1,
    ParticipanteV1,
    PausarCampanaV1,
    PresupuestoAjustadoV1,
    ReanudarCampanaV1,
    RetirarParticipanteV1,
)
from contracts.v1.events import ParticipanteEventoV1, PresupuestoEventoV1
from domain import (
    ActivarCampana,
    AgregarParticipante,
    AjustarPresupuesto,
    CampanaActivada,
    CampanaCreada,
    CampanaFinalizada,
    CampanaPausada,
    CampanaReanudada,
    Comando,
    CrearCampana,
    DatosParticipante,
    EventoDominio,
    FinalizarCampana,
    Participante,
    ParticipanteAgregado,
    ParticipanteRetirado,
    PausarCampana,
    Presupuesto,
    PresupuestoAjustado,
    ReanudarCampana,
    RetirarParticipante,
)

# Event ids are derived, not random: the same command always yields the same ids.
_EVENT_NAMESPACE = uuid.UUID("5b0e7d4a-9c1f-4a55-8c1e-2f6a3d9b7e10")


def event_id(command_id: str, suffix: str) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{command_id}/{suffix}"))


def _datos(participante: ParticipanteV1) -> DatosParticipante:
    perfil = participante.informacion_perfil
    return DatosParticipante(
        id=participante.id,
        tipo=participante.tipo,
        nombre=participante.nombre,
        informacion_perfil={} if perfil is None else perfil,
    )


def to_domain(command: ComandoCampanaV1) -> Comando:
    match command:
        case CrearCampanaV1():
            return CrearCampana(
                campana_id=command.id,
                nombre=command.nombre,
                tipo=command.tipo,
                estado=command.estado,
                fecha_inicio=command.fecha_inicio,
                fecha_fin=command.fecha_fin,
                monto=command.presupuesto.monto,
                divisa=command.presupuesto.divisa,
                marca_id=command.marca_id,
                participantes=tuple(_datos(x) for x in command.participantes),
            )
        case ActivarCampanaV1():
            return ActivarCampana(campana_id=command.campana_id)
        case PausarCampanaV1():
            return PausarCampana(campana_id=command.campana_id)
        case ReanudarCampanaV1():
            return ReanudarCampana(campana_id=command.campana_id)
        case FinalizarCampanaV1():
            return FinalizarCampana(campana_id=command.campana_id)
        case AgregarParticipanteV1():
            return AgregarParticipante(
                campana_id=command.campana_id, participante=_datos(command.participante)
            )
        case RetirarParticipanteV1():
            return RetirarParticipante(
                campana_id=command.campana_id, participante_id=command.participante_id
            )
        case AjustarPresupuestoV1():
            return AjustarPresupuesto(
                campana_id=command.campana_id,
                monto=command.presupuesto.monto,
                divisa=command.presupuesto.divisa,
            )
    msg = f"no domain command for {type(command).__name__}"
    raise TypeError(msg)


def _presupuesto(presupuesto: Presupuesto) -> PresupuestoEventoV1:
    return PresupuestoEventoV1(monto=presupuesto.monto, divisa=presupuesto.divisa)


def _participante(participante: Participante) -> ParticipanteEventoV1:
    return ParticipanteEventoV1.model_validate(participante_to_json(participante))


def _creada(e: CampanaCreada) -> CampanaCreadaV1:
    return CampanaCreadaV1(
        campana_id=e.campana_id,
        nombre=e.nombre,
        tipo=e.tipo.value,
        estado=e.estado.value,
        fecha_inicio=e.fecha_inicio,
        fecha_fin=e.fecha_fin,
        presupuesto=_presupuesto(e.presupuesto),
        marca_id=e.marca_id,
        participantes=[_participante(x) for x in e.participantes],
    )


_EVENTS: dict[type[EventoDominio], tuple[str, Callable[[Any], BaseModel]]] = {
    CampanaCreada: ("campana-creada", _creada),
    CampanaActivada: ("campana-activada", lambda e: CampanaActivadaV1(campana_id=e.campana_id)),
    CampanaPausada: ("campana-pausada", lambda e: CampanaPausadaV1(campana_id=e.campana_id)),
    CampanaReanudada: (
        "campana-reanudada",
        lambda e: CampanaReanudadaV1(campana_id=e.campana_id),
    ),
    CampanaFinalizada: (
        "campana-finalizada",
        lambda e: CampanaFinalizadaV1(campana_id=e.campana_id),
    ),
    ParticipanteAgregado: (
        "participante-agregado",
        lambda e: ParticipanteAgregadoV1(
            campana_id=e.campana_id, participante=_participante(e.participante)
        ),
    ),
    ParticipanteRetirado: (
        "participante-retirado",
        lambda e: ParticipanteRetiradoV1(
            campana_id=e.campana_id, participante_id=e.participante_id
        ),
    ),
    PresupuestoAjustado: (
        "presupuesto-ajustado",
        lambda e: PresupuestoAjustadoV1(
            campana_id=e.campana_id,
            anterior=_presupuesto(e.anterior),
            nuevo=_presupuesto(e.nuevo),
        ),
    ),
}


def to_integration(event: EventoDominio) -> tuple[str, BaseModel]:
    """The v1 event name and body of a domain event."""
    name, build = _EVENTS[type(event)]
    return name, build(event)


def event_properties(
    *,
    event_id: str,
    event_type: str,
    occurred_at: str,
    command_id: str,
    correlation_id: str,
    aggregate_version: int | None,
) -> dict[str, str]:
    properties = {
        p.EVENT_ID: event_id,
        p.EVENT_TYPE: event_type,
        p.OCCURRED_AT: occurred_at,
        p.SCHEMA_VERSION: "1",
        p.COMMAND_ID: command_id,
        p.CORRELATION_ID: correlation_id,
        p.CAUSATION_ID: command_id,
        "content-type": "application/json",
    }
    if aggregate_version is not None:
        properties[p.AGGREGATE_VERSION] = str(aggregate_version)
    return properties


def event_topic_of(name: str) -> str:
    return event_topic(name)
