"""v2 message properties: Pulsar properties are text, so every value here is a string."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CommandType = Literal[
    "crear-campana",
    "activar-campana",
    "pausar-campana",
    "reanudar-campana",
    "finalizar-campana",
    "agregar-participante",
    "retirar-participante",
    "ajustar-presupuesto",
]
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

_ID = "1-128 characters, no control characters."
_TRACEPARENT = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"


class CommandPropertiesV2(BaseModel):
    """On every command of the v2 stream. The message key is the campaign id (required)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    command_type: CommandType = Field(description="Which command the body is.")
    command_id: str | None = Field(
        default=None,
        max_length=128,
        description=f"Idempotency key: re-sending the same id applies once. {_ID} "
        "Derived from the message when absent (protects against redelivery only).",
    )
    correlation_id: str | None = Field(
        default=None, max_length=128, description=f"Copied onto every event caused. {_ID}"
    )
    expected_version: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,18}$",
        description="The campaign version the producer last saw (0: it must not exist). "
        "Any other current version rejects the command with VERSION_CONFLICT.",
    )
    schema_version: Literal["2"] | None = Field(default=None, description="When set, 2.")
    traceparent: str | None = Field(
        default=None,
        description="W3C Trace Context: the producer's span. When the service traces, its "
        "span for the command is this span's child (an invalid value starts a new trace).",
    )
    tracestate: str | None = Field(
        default=None, description="W3C Trace Context: vendor data carried along traceparent."
    )


class EventPropertiesV2(BaseModel):
    """On every event of the v2 stream. The message key is the campaign id (a rejection
    of a command that named no usable campaign: the command id)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    event_id: str = Field(description="Stable across redeliveries, relays and versions.")
    event_type: EventType = Field(description="Which event the body is.")
    occurred_at: str = Field(description="When the command was applied, ISO-8601 UTC.")
    schema_version: Literal["2"]
    command_id: str = Field(description="The command that caused the event.")
    correlation_id: str
    causation_id: str = Field(description="The command id that caused the event.")
    aggregate_version: str | None = Field(
        default=None,
        pattern=r"^[0-9]+$",
        description="The campaign's version after this event: 1 for campana-creada, then +1 "
        "per event. Absent on comando-rechazado.",
    )
    traceparent: str | None = Field(
        default=None,
        pattern=_TRACEPARENT,
        description="W3C Trace Context, when the service traces: the relay's span that "
        "published this event, itself a child of the command's span. Consumers continue "
        "the trace with it.",
    )
    tracestate: str | None = Field(
        default=None, description="W3C Trace Context: vendor data carried along traceparent."
    )
