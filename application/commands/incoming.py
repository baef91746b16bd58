"""From the wire to the internal command, for every contract version.

Versions are translated here, at the edge: a v1 or v2 message becomes one
``IncomingCommand`` holding the domain command, or the rejection that says why there is
none. ``decode`` never raises: whatever is wrong with one message (its properties, its
size, its JSON, a body nested too deep to parse) becomes that message's rejection, so it
can fail, delay or redeliver none of its batch-mates.
"""

import dataclasses
import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pydantic
import pydantic_core

from contracts import v1, v2
from contracts.topics import COMMAND_NAMES, CREAR_CAMPANA
from domain import (
    AgregarParticipante,
    AjustarPresupuesto,
    Comando,
    CrearCampana,
    DatosParticipante,
    DomainError,
)
from domain.validation import mostrar, validar_id

from .rejection import Rejection
from .upcast import to_domain

log = logging.getLogger("alpes.commands")

MAX_BODY_BYTES = 256 * 1024
# command_id and correlation_id are stored: they must fit the command log's columns.
MAX_PROPERTY_LENGTH = 128

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_INVALID_ID_NAMESPACE = uuid.UUID("8f6c2f8e-55a1-4f0e-9d0c-6a3b1b7e4c21")
_MODELS: dict[int, dict[str, type[pydantic.BaseModel]]] = {
    1: dict(v1.COMMANDS),
    2: dict(v2.COMMANDS),
}


@dataclass(frozen=True, slots=True)
class CommandEnvelope:
    """A command as it came off the wire, before anything is checked."""

    command_type: str  # v1: the topic's command; v2: the command_type property
    command_id: str  # the producer's, or one derived from the message's position
    correlation_id: str
    body: bytes
    schema_version: str | None = None  # the schema_version property, when set
    contract: int = 1  # the contract version of the topic it came from
    key: str | None = None  # the message key (v2: the campaign id, required)
    expected_version: str | None = None  # v2: the expected_version property, as sent
    # The trace its events continue (W3C Trace Context), when the worker traces.
    traceparent: str | None = None
    tracestate: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingCommand:
    """A decoded command: the domain command to apply, or the rejection it already has."""

    command_id: str
    command_type: str
    correlation_id: str
    campana_id: str | None
    fingerprint: str  # what "the same command" means for creates and reused ids
    contract: int = 1
    command: Comando | None = None
    rejection: Rejection | None = None
    expected_version: int | None = None
    traceparent: str | None = None  # the trace its events continue, if traced
    tracestate: str | None = None

    def field(self, name: str | None) -> str | None:
        """A domain field name as this command's contract spells it."""
        if name == "id" and self.contract == 2 and self.command_type == CREAR_CAMPANA:
            return "campana_id"
        return name


def decode(envelope: CommandEnvelope) -> IncomingCommand:
    try:
        return _decode(envelope)
    except Exception as error:  # a surprise in one message must touch no other
        shown = envelope.command_id[:MAX_PROPERTY_LENGTH]
        log.exception("command %r could not be decoded", shown, extra={"command_id": shown})
        rejection = Rejection(
            "MALFORMED_MESSAGE",
            None,
            f"body: could not be decoded ({type(error).__name__})",
            dead_letter=True,
        )
        return _rejected(envelope, _usable_id(envelope), rejection)


def _decode(envelope: CommandEnvelope) -> IncomingCommand:
    command_id = _usable_id(envelope)
    if command_id != envelope.command_id:
        return _rejected(envelope, command_id, _bad_property("command_id", envelope.command_id))
    if not _storable(envelope.correlation_id):
        rejection = _bad_property("correlation_id", envelope.correlation_id)
        return _rejected(envelope, command_id, rejection)
    if problem := _envelope_problem(envelope):
        return _rejected(envelope, command_id, problem)
    model = _MODELS[envelope.contract][envelope.command_type]
    try:
        body = model.model_validate_json(envelope.body)
    except pydantic.ValidationError as error:
        return _rejected(envelope, command_id, Rejection.from_validation(error))
    command = to_domain(body)
    campana_id = command.campana_id
    incoming = IncomingCommand(
        command_id=command_id,
        command_type=envelope.command_type,
        correlation_id=envelope.correlation_id,
        campana_id=campana_id,
        fingerprint=fingerprint(command),
        contract=envelope.contract,
        traceparent=envelope.traceparent,
        tracestate=envelope.tracestate,
    )
    id_field = incoming.field("id" if isinstance(command, CrearCampana) else "campana_id")
    try:
        validar_id(campana_id, id_field or "campana_id")
    except DomainError as invalid:
        # Not an id any campaign can have: the value is not kept (it names no campaign).
        return _with(incoming, campana_id=None, rejection=Rejection.from_domain(invalid))
    if envelope.contract == 2 and envelope.key != campana_id:
        rejection = Rejection(
            "KEY_MISMATCH",
            "key",
            f"key: the message key {mostrar(envelope.key)} differs from campana_id "
            f"{campana_id!r}; key every command by its campaign id",
        )
        return _with(incoming, rejection=rejection)
    expected = envelope.expected_version
    if envelope.contract == 2 and expected not in (None, ""):
        if not (expected.isascii() and expected.isdigit() and len(expected) <= 18):
            return _with(incoming, rejection=_bad_property("expected_version", expected))
        return _with(incoming, command=command, expected_version=int(expected))
    return _with(incoming, command=command)


def _envelope_problem(envelope: CommandEnvelope) -> Rejection | None:
    """What is wrong with the message before its body is read, if anything."""
    if envelope.contract == 2:
        if not envelope.command_type:
            return Rejection(
                "MISSING_PROPERTY",
                "command_type",
                "command_type: required property is missing; set it to the command's name, "
                f"one of {', '.join(COMMAND_NAMES)}",
            )
        if envelope.command_type not in _MODELS[2]:
            return Rejection(
                "UNKNOWN_COMMAND",
                "command_type",
                f"command_type: unknown command {mostrar(envelope.command_type)}; expected one "
                f"of {', '.join(COMMAND_NAMES)}",
            )
        if not envelope.key:
            return Rejection(
                "MISSING_KEY",
                "key",
                "key: the message has no key; key every command by its campaign id",
            )
    if len(envelope.body) > MAX_BODY_BYTES:
        return Rejection(
            "PAYLOAD_TOO_LARGE",
            None,
            f"body: {len(envelope.body)} bytes, the limit is {MAX_BODY_BYTES}",
            dead_letter=True,
        )
    if envelope.schema_version not in (None, "", str(envelope.contract)):
        return Rejection(
            "UNSUPPORTED_SCHEMA_VERSION",
            None,
            f"schema_version: {mostrar(envelope.schema_version)} sent to a "
            f"v{envelope.contract} topic; expected '{envelope.contract}' "
            "(or no schema_version property)",
        )
    return None


def _rejected(envelope: CommandEnvelope, command_id: str, rejection: Rejection) -> IncomingCommand:
    correlation = envelope.correlation_id
    return IncomingCommand(
        command_id=command_id,
        command_type=_storable_type(envelope.command_type),
        correlation_id=correlation if _storable(correlation) else command_id,
        campana_id=None,
        fingerprint=digest(envelope.body),
        contract=envelope.contract,
        rejection=rejection,
        traceparent=envelope.traceparent,
        tracestate=envelope.tracestate,
    )


def _with(incoming: IncomingCommand, **changes: Any) -> IncomingCommand:
    return dataclasses.replace(incoming, **changes)


def _bad_property(name: str, value: str) -> Rejection:
    return Rejection(
        "INVALID_PROPERTY",
        name,
        f"{name}: expected "
        + (
            "a non-negative integer, the campaign version last seen"
            if name == "expected_version"
            else f"1-{MAX_PROPERTY_LENGTH} characters without control characters"
        )
        + f", got {mostrar(value)}",
    )


def _storable(value: str) -> bool:
    return 0 < len(value) <= MAX_PROPERTY_LENGTH and not _CONTROL.search(value)


def _usable_id(envelope: CommandEnvelope) -> str:
    """The producer's command id, or, when it cannot be stored, a stable stand-in (a
    re-sent copy still gets the same one, so it is still recognised)."""
    if _storable(envelope.command_id):
        return envelope.command_id
    return f"invalid-{uuid.uuid5(_INVALID_ID_NAMESPACE, envelope.command_id)}"


def _storable_type(command_type: str) -> str:
    if command_type in COMMAND_NAMES:
        return command_type
    return _CONTROL.sub("?", command_type)[:64]


def fingerprint(command: Comando) -> str:
    """The same data gives the same fingerprint, whatever the contract version and however
    an amount is written (15000.00 is 15000)."""
    if isinstance(command, CrearCampana):
        command = dataclasses.replace(
            command,
            monto=command.monto.normalize(),
            participantes=tuple(_canonical(x) for x in command.participantes),
        )
    elif isinstance(command, AjustarPresupuesto):
        command = dataclasses.replace(command, monto=command.monto.normalize())
    elif isinstance(command, AgregarParticipante):
        command = dataclasses.replace(command, participante=_canonical(command.participante))
    data = pydantic_core.to_json({"type": type(command).__name__, "command": command}, fallback=str)
    return digest(data)


def _canonical(participante: DatosParticipante) -> DatosParticipante:
    """A profile map in key order: the order a producer wrote it in means nothing."""
    perfil = participante.informacion_perfil
    if isinstance(perfil, str):
        return participante
    return dataclasses.replace(participante, informacion_perfil=dict(sorted(perfil.items())))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
