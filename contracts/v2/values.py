"""Value shapes shared by v2 commands and events.

As in v1, except money: an amount is a decimal string (``"15000.00"``), never a JSON
number, which many JSON libraries read as a binary float and round.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ProfileValue = str | int | float | bool

DECIMAL_PATTERN = r"^-?[0-9]{1,30}(\.[0-9]{1,30})?$"

# A decimal written as text: digits, an optional fraction, no exponent.
DecimalText = Annotated[str, StringConstraints(pattern=DECIMAL_PATTERN)]


class ContractModel(BaseModel):
    # A misspelled field is an error naming it, not a silently dropped value.
    model_config = ConfigDict(extra="forbid", frozen=True)


class PresupuestoV2(ContractModel):
    monto: DecimalText = Field(
        description='Amount > 0 as a decimal string, e.g. "15000.00". A JSON number is refused.',
        examples=["15000.00"],
    )
    divisa: str = Field(description="ISO-4217 currency code, e.g. USD.", examples=["USD"])


class ParticipanteV2(ContractModel):
    id: str = Field(description="Participant id, 1-64 of [A-Za-z0-9_.:-].", examples=["p-98765"])
    tipo: Literal["Influencer", "Affiliate"]
    nombre: str
    informacion_perfil: str | dict[str, ProfileValue] | None = Field(
        default=None,
        description="Free text (at most 1000 characters) or a map of at most 50 entries.",
    )
