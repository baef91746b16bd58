"""v2 event bodies: v1's, on one stream per campaign. Consumers read them tolerantly:
fields may be added within v2, never removed or changed (that makes a v3)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Estado = Literal["draft", "active", "paused", "finished"]


class EventPart(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PresupuestoEventoV2(EventPart):
    monto: str = Field(description='Decimal string, e.g. "15000.00".')
    divisa: str = Field(description="ISO-4217 currency code.")


class ParticipanteEventoV2(EventPart):
    id: str
    tipo: Literal["Influencer", "Affiliate"]
    nombre: str
    informacion_perfil: str | dict[str, str | int | float | bool] | None = None


class EventModel(EventPart):
    campana_id: str


class CampanaCreadaV2(EventModel):
    """A campaign was created, in draft: the full snapshot. aggregate_version 1."""

    nombre: str
    tipo: Literal["Influencer", "Affiliate", "Mixed"]
    estado: Estado
    fecha_inicio: datetime
    fecha_fin: datetime
    presupuesto: PresupuestoEventoV2
    marca_id: str
    participantes: list[ParticipanteEventoV2]


class CampanaActivadaV2(EventModel):
    estado: Literal["active"] = "active"


class CampanaPausadaV2(EventModel):
    estado: Literal["paused"] = "paused"


class CampanaReanudadaV2(EventModel):
    estado: Literal["active"] = "active"


class CampanaFinalizadaV2(EventModel):
    estado: Literal["finished"] = "finished"


class ParticipanteAgregadoV2(EventModel):
    participante: ParticipanteEventoV2


class ParticipanteRetiradoV2(EventModel):
    participante_id: str


class PresupuestoAjustadoV2(EventModel):
    anterior: PresupuestoEventoV2
    nuevo: PresupuestoEventoV2


class ComandoRechazadoV2(EventPart):
    """A command was not applied. Final: re-sending it unchanged gets the same answer."""

    command_id: str
    command_type: str = Field(description='The command\'s name, e.g. "crear-campana".')
    campana_id: str | None = Field(description="The campaign, when the command named one.")
    reason: str = Field(description="Machine-readable code, e.g. VERSION_CONFLICT.")
    field: str | None = Field(
        description='The offending field or property, e.g. "presupuesto.monto".'
    )
    message: str = Field(description="For humans: the field, the value, what was expected.")


EVENTS: dict[str, type[BaseModel]] = {
    "campana-creada": CampanaCreadaV2,
    "campana-activada": CampanaActivadaV2,
    "campana-pausada": CampanaPausadaV2,
    "campana-reanudada": CampanaReanudadaV2,
    "campana-finalizada": CampanaFinalizadaV2,
    "participante-agregado": ParticipanteAgregadoV2,
    "participante-retirado": ParticipanteRetiradoV2,
    "presupuesto-ajustado": PresupuestoAjustadoV2,
    "comando-rechazado": ComandoRechazadoV2,
}
