"""v1 command bodies. The create command's body is the seed's JSON, field for field.

Commands are strict: an unknown (misspelled) field is rejected, naming it. Types are
checked here; the campaign's rules (dates in order, amount > 0, known currency, allowed
transitions...) are checked by the domain when the command is applied.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, Strict

from .values import ContractModel, ParticipanteV1, PresupuestoV1

TipoCampana = Literal["Influencer", "Affiliate", "Mixed"]

_DATE = "ISO-8601 date-time with a timezone, e.g. 2025-09-10T00:00:00Z."

# Strict: a JSON number is not taken for a Unix timestamp; dates are ISO-8601 text.
IsoDateTime = Annotated[datetime, Strict()]


class CrearCampanaV1(ContractModel):
    """Create a campaign (in draft). Topic: alpes.campanas.comandos.crear-campana.v1"""

    id: str = Field(description="Campaign id chosen by the client, 1-64 of [A-Za-z0-9_.:-].")
    nombre: str = Field(description="Non-empty, at most 200 characters.")
    tipo: TipoCampana
    estado: str = Field(default="draft", description='Only "draft" is accepted on creation.')
    fecha_inicio: IsoDateTime = Field(description=_DATE)
    fecha_fin: IsoDateTime = Field(description=f"After fecha_inicio. {_DATE}")
    presupuesto: PresupuestoV1
    marca_id: str = Field(description="Brand id, 1-64 of [A-Za-z0-9_.:-].")
    participantes: list[ParticipanteV1] = Field(default_factory=list)

    @property
    def campana_id(self) -> str:
        return self.id


class _CampaignCommand(ContractModel):
    campana_id: str = Field(description="The campaign the command targets.")


class ActivarCampanaV1(_CampaignCommand):
    """draft -> active. Topic: alpes.campanas.comandos.activar-campana.v1"""


class PausarCampanaV1(_CampaignCommand):
    """active -> paused. Topic: alpes.campanas.comandos.pausar-campana.v1"""


class ReanudarCampanaV1(_CampaignCommand):
    """paused -> active. Topic: alpes.campanas.comandos.reanudar-campana.v1"""


class FinalizarCampanaV1(_CampaignCommand):
    """active | paused -> finished. Topic: alpes.campanas.comandos.finalizar-campana.v1"""


class AgregarParticipanteV1(_CampaignCommand):
    """Add a participant. Topic: alpes.campanas.comandos.agregar-participante.v1"""

    participante: ParticipanteV1


class RetirarParticipanteV1(_CampaignCommand):
    """Remove a participant. Topic: alpes.campanas.comandos.retirar-participante.v1"""

    participante_id: str


class AjustarPresupuestoV1(_CampaignCommand):
    """Change the budget, same currency. Topic: alpes.campanas.comandos.ajustar-presupuesto.v1"""

    presupuesto: PresupuestoV1


ComandoCampanaV1 = (
    CrearCampanaV1
    | ActivarCampanaV1
    | PausarCampanaV1
    | ReanudarCampanaV1
    | FinalizarCampanaV1
    | AgregarParticipanteV1
    | RetirarParticipanteV1
    | AjustarPresupuestoV1
)

COMMANDS: dict[str, type[ComandoCampanaV1]] = {
    "crear-campana": CrearCampanaV1,
    "activar-campana": ActivarCampanaV1,
    "pausar-campana": PausarCampanaV1,
    "reanudar-campana": ReanudarCampanaV1,
    "finalizar-campana": FinalizarCampanaV1,
    "agregar-participante": AgregarParticipanteV1,
    "retirar-participante": RetirarParticipanteV1,
    "ajustar-presupuesto": AjustarPresupuestoV1,
}
