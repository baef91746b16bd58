"""v1 event bodies. Consumers read them tolerantly: fields may be added within v1,
never removed or changed (that makes a v2 topic)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .values import ParticipanteV1, PresupuestoV1

Estado = Literal["draft", "active", "paused", "finished"]


class PresupuestoEventoV1(PresupuestoV1):
    """The budget as events carry it; read tolerantly, like every event part."""

    model_config = ConfigDict(extra="ignore", frozen=True, from_attributes=True)


class ParticipanteEventoV1(ParticipanteV1):
    """A participant as events carry it; read tolerantly, like every event part."""

    model_config = ConfigDict(extra="ignore", frozen=True, from_attributes=True)


class EventModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    campana_id: str


class CampanaCreadaV1(EventModel):
    """A campaign was created, in draft: the full snapshot."""

    nombre: str
    tipo: Literal["Influencer", "Affiliate", "Mixed"]
    estado: Estado
    fecha_inicio: datetime
    fecha_fin: datetime
    presupuesto: PresupuestoEventoV1
    marca_id: str
    participantes: list[ParticipanteEventoV1]


class CampanaActivadaV1(EventModel):
    estado: Literal["active"] = "active"


class CampanaPausadaV1(EventModel):
    estado: Literal["paused"] = "paused"


class CampanaReanudadaV1(EventModel):
    estado: Literal["active"] = "active"


class CampanaFinalizadaV1(EventModel):
    estado: Literal["finished"] = "finished"


class ParticipanteAgregadoV1(EventModel):
    participante: ParticipanteEventoV1


class ParticipanteRetiradoV1(EventModel):
    participante_id: str


class PresupuestoAjustadoV1(EventModel):
    anterior: PresupuestoEventoV1
    nuevo: PresupuestoEventoV1


class ComandoRechazadoV1(BaseModel):
    """A command was not applied. Final: re-sending it unchanged gets the same answer."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    command_id: str
    command_type: str = Field(description='The command topic\'s name, e.g. "crear-campana".')
    campana_id: str | None = Field(description="The campaign, when the body named one.")
    reason: str = Field(description="Machine-readable code, e.g. INVALID_DATE_RANGE.")
    field: str | None = Field(description='The offending field, e.g. "presupuesto.monto".')
    message: str = Field(description="For humans: the field, the value, what was expected.")


EVENTS: dict[str, type[BaseModel]] = {
    "campana-creada": CampanaCreadaV1,
    "campana-activada": CampanaActivadaV1,
    "campana-pausada": CampanaPausadaV1,
    "campana-reanudada": CampanaReanudadaV1,
    "campana-finalizada": CampanaFinalizadaV1,
    "participante-agregado": ParticipanteAgregadoV1,
    "participante-retirado": ParticipanteRetiradoV1,
    "presupuesto-ajustado": PresupuestoAjustadoV1,
    "comando-rechazado": ComandoRechazadoV1,
}
