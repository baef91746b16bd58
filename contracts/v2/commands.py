"""v2 command bodies: every command on one stream, the campaign id as the message key.

Bodies are v1's with two fixes: ``crear-campana`` names its campaign ``campana_id`` like
every other command, and amounts are decimal strings. Commands are strict: an unknown
(misspelled) field is rejected, naming it. The campaign's rules are checked by the
domain when the command is applied.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, Strict

from .values import ContractModel, ParticipanteV2, PresupuestoV2

TipoCampana = Literal["Influencer", "Affiliate", "Mixed"]

_DATE = "ISO-8601 date-time with a timezone, e.g. 2025-09-10T00:00:00Z."

# Strict: a JSON number is not taken for a Unix timestamp; dates are ISO-8601 text.
IsoDateTime = Annotated[datetime, Strict()]


class _CampaignCommand(ContractModel):
    campana_id: str = Field(
        description="The campaign the command targets; equal to the message key."
    )


class CrearCampanaV2(_CampaignCommand):
    """Create a campaign (in draft). command_type: crear-campana"""

    nombre: str = Field(description="Non-empty, at most 200 characters.")
    tipo: TipoCampana
    estado: str = Field(default="draft", description='Only "draft" is accepted on creation.')
    fecha_inicio: IsoDateTime = Field(description=_DATE)
    fecha_fin: IsoDateTime = Field(description=f"After fecha_inicio. {_DATE}")
    presupuesto: PresupuestoV2
    marca_id: str = Field(description="Brand id, 1-64 of [A-Za-z0-9_.:-].")
    participantes: list[ParticipanteV2] = Field(default_factory=list)


class ActivarCampanaV2(_CampaignCommand):
    """draft -> active. command_type: activar-campana"""


class PausarCampanaV2(_CampaignCommand):
    """active -> paused. command_type: pausar-campana"""


class ReanudarCampanaV2(_CampaignCommand):
    """paused -> active. command_type: reanudar-campana"""


class FinalizarCampanaV2(_CampaignCommand):
    """active | paused -> finished. command_type: finalizar-campana"""


class AgregarParticipanteV2(_CampaignCommand):
    """Add a participant. command_type: agregar-participante"""

    participante: ParticipanteV2


class RetirarParticipanteV2(_CampaignCommand):
    """Remove a participant. command_type: retirar-participante"""

    participante_id: str


class AjustarPresupuestoV2(_CampaignCommand):
    """Change the budget, same currency. command_type: ajustar-presupuesto"""

    presupuesto: PresupuestoV2


ComandoCampanaV2 = (
    CrearCampanaV2
    | ActivarCampanaV2
    | PausarCampanaV2
    | ReanudarCampanaV2
    | FinalizarCampanaV2
    | AgregarParticipanteV2
    | RetirarParticipanteV2
    | AjustarPresupuestoV2
)

COMMANDS: dict[str, type[ComandoCampanaV2]] = {
    "crear-campana": CrearCampanaV2,
    "activar-campana": ActivarCampanaV2,
    "pausar-campana": PausarCampanaV2,
    "reanudar-campana": ReanudarCampanaV2,
    "finalizar-campana": FinalizarCampanaV2,
    "agregar-participante": AgregarParticipanteV2,
    "retirar-participante": RetirarParticipanteV2,
    "ajustar-presupuesto": AjustarPresupuestoV2,
}
