"""Value shapes shared by v1 commands and events."""

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ProfileValue = str | int | float | bool


class ContractModel(BaseModel):
    # A misspelled field is an error naming it, not a silently dropped value.
    model_config = ConfigDict(extra="forbid", frozen=True)


class PresupuestoV1(ContractModel):
    monto: Decimal = Field(description="Amount, > 0. A JSON number or a decimal string.")
    divisa: str = Field(description="ISO-4217 currency code, e.g. USD.", examples=["USD"])


class ParticipanteV1(ContractModel):
    id: str = Field(description="Participant id, 1-64 of [A-Za-z0-9_.:-].", examples=["p-98765"])
    tipo: Literal["Influencer", "Affiliate"]
    nombre: str
    informacion_perfil: str | dict[str, ProfileValue] | None = Field(
        default=None,
        description="Free text (at most 1000 characters) or a map of at most 50 entries.",
    )
