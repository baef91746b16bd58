"""Command bodies of every contract version into the one internal (domain) command."""

from decimal import Decimal

from pydantic import BaseModel

from contracts import v1, v2
from domain import (
    ActivarCampana,
    AgregarParticipante,
    AjustarPresupuesto,
    Comando,
    CrearCampana,
    DatosParticipante,
    FinalizarCampana,
    PausarCampana,
    ReanudarCampana,
    RetirarParticipante,
)


def _datos(participante: v1.ParticipanteV1 | v2.ParticipanteV2) -> DatosParticipante:
    perfil = participante.informacion_perfil
    return DatosParticipante(
        id=participante.id,
        tipo=participante.tipo,
        nombre=participante.nombre,
        informacion_perfil={} if perfil is None else perfil,
    )


def to_domain(body: BaseModel) -> Comando:
    """The domain command a v1 or v2 body asks for (v1's create names its campaign
    ``id``, v2's ``campana_id``; v2's amounts are decimal strings)."""
    match body:
        case v1.CrearCampanaV1() | v2.CrearCampanaV2():
            return CrearCampana(
                campana_id=body.campana_id,
                nombre=body.nombre,
                tipo=body.tipo,
                estado=body.estado,
                fecha_inicio=body.fecha_inicio,
                fecha_fin=body.fecha_fin,
                monto=Decimal(body.presupuesto.monto),
                divisa=body.presupuesto.divisa,
                marca_id=body.marca_id,
                participantes=tuple(_datos(x) for x in body.participantes),
            )
        case v1.ActivarCampanaV1() | v2.ActivarCampanaV2():
            return ActivarCampana(campana_id=body.campana_id)
        case v1.PausarCampanaV1() | v2.PausarCampanaV2():
            return PausarCampana(campana_id=body.campana_id)
        case v1.ReanudarCampanaV1() | v2.ReanudarCampanaV2():
            return ReanudarCampana(campana_id=body.campana_id)
        case v1.FinalizarCampanaV1() | v2.FinalizarCampanaV2():
            return FinalizarCampana(campana_id=body.campana_id)
        case v1.AgregarParticipanteV1() | v2.AgregarParticipanteV2():
            return AgregarParticipante(
                campana_id=body.campana_id, participante=_datos(body.participante)
            )
        case v1.RetirarParticipanteV1() | v2.RetirarParticipanteV2():
            return RetirarParticipante(
                campana_id=body.campana_id, participante_id=body.participante_id
            )
        case v1.AjustarPresupuestoV1() | v2.AjustarPresupuestoV2():
            return AjustarPresupuesto(
                campana_id=body.campana_id,
                monto=Decimal(body.presupuesto.monto),
                divisa=body.presupuesto.divisa,
            )
    msg = f"no domain command for {type(body).__name__}"
    raise TypeError(msg)
