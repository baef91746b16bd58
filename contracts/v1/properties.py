"""v1 message properties (deprecated contract): Pulsar properties are text."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EventType = Literal[
    "campana-creada",
    "campana-activada",
    "campana-pausada",
    "campana-reanudada",
    "campana-finalizada",
    "participante-agregado",
    "participante-retirado",
    "presupuesto-ajustado",
    "comando-rechazado",
]


class CommandPropertiesV1(BaseModel):
    """On a command of a v1 topic; the topic names the command, the key its campaign."""

    model_config = ConfigDict(extra="allow", frozen=True)

    command_id: str | None = Field(default=None, description="Idempotency key.")
    correlation_id: str | None = Field(default=None)
    schema_version: Literal["1"] | None = Field(default=None, description="When set, 1.")


class EventPropertiesV1(BaseModel):
    """On an event of a v1 topic."""

    model_config = ConfigDict(extra="allow", frozen=True)

    event_id: str
    event_type: EventType
    occurred_at: str
    schema_version: Literal["1"]
    command_id: str
    correlation_id: str
    causation_id: str
    aggregate_version: str | None = None
