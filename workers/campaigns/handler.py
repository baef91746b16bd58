"""Apply one command: exactly one outcome, applied, duplicate or rejected.

Inside one Unit of Work: look the command id up (a re-sent command is a duplicate),
decode and validate the v1 body, apply it to the aggregate, and write the campaign, its
outbox events and the command record together. A rejection is written the same way, with
a ``comando-rechazado`` event instead. A concurrent change of the same campaign is caught
by its version and the whole command is tried again.
"""

import asyncio
import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import pydantic

from adapters.database.errors import ConcurrencyError
from adapters.database.records import CommandRecord, OutboxMessage
from contracts.topics import event_topic
from contracts.v1 import COMMANDS, ComandoCampanaV1, ComandoRechazadoV1
from domain import (
    ActivarCampana,
    AgregarParticipante,
    AjustarPresupuesto,
    Campana,
    Comando,
    CrearCampana,
    DomainError,
    FinalizarCampana,
    PausarCampana,
    Presupuesto,
    ReanudarCampana,
    RetirarParticipante,
)

from ..ports import UnitOfWork, UnitOfWorkFactory
from .rejection import Rejection
from .translate import event_id, event_properties, to_domain, to_integration

MAX_BODY_BYTES = 256 * 1024
MAX_ATTEMPTS = 8

# Rejections that can be an artefact of arrival order: each command type has its own
# topic, so `activar` can overtake the `crear` published just before it. Such a command
# is deferred (tried again shortly) while it is young, and rejected only once it is not.
DEFERRABLE = frozenset(
    {
        "UNKNOWN_CAMPAIGN",
        "ILLEGAL_TRANSITION",
        "UNKNOWN_PARTICIPANT",
        "DUPLICATE_PARTICIPANT",
        "CAMPAIGN_FINISHED",
    }
)


@dataclass(frozen=True)
class CommandEnvelope:
    command_type: str  # the command topic's name, e.g. "crear-campana"
    command_id: str
    correlation_id: str
    body: bytes
    # The `schema_version` property, when the producer set one; the topic name is v1.
    schema_version: str | None = None


@dataclass(frozen=True)
class Outcome:
    status: Literal["applied", "duplicate", "rejected"]
    command_id: str
    event_ids: tuple[str, ...] = ()
    rejection: Rejection | None = None


class _AlreadyApplied(Exception):
    """The campaign already exists with exactly this creation data."""


class Deferred(Exception):
    """Not applicable yet, maybe only because an earlier command has not arrived: nothing
    was written; try again later."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(f"deferred: {rejection.reason}: {rejection.message}")
        self.rejection = rejection


async def handle_command(
    envelope: CommandEnvelope, uow_factory: UnitOfWorkFactory, *, defer: bool = False
) -> Outcome:
    """Apply ``envelope``; with ``defer``, raise Deferred instead of an order-sensitive
    rejection (see DEFERRABLE)."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return await _handle_once(envelope, uow_factory(), defer)
        except ConcurrencyError:
            if attempt == MAX_ATTEMPTS - 1:
                raise
            # Jittered, so two workers that collided do not collide again in step.
            await asyncio.sleep(random.uniform(0.5, 1.5) * 0.005 * 2**attempt)
    raise AssertionError("unreachable")


async def apply_in(envelope: CommandEnvelope, uow: UnitOfWork, defer: bool) -> Outcome:
    """One attempt at ``envelope`` in ``uow`` (the batch processor's entry point)."""
    return await _handle_once(envelope, uow, defer)


async def _handle_once(envelope: CommandEnvelope, uow: UnitOfWork, defer: bool) -> Outcome:
    async with uow:
        previous = await uow.commands.get(envelope.command_id)
        fingerprint = _digest(envelope.body)
        if previous is not None:
            if previous.command_type != envelope.command_type:
                return await _reject(
                    uow, envelope, fingerprint, None, _reused(envelope), record=False
                )
            return Outcome("duplicate", envelope.command_id, previous.event_ids)
        campana_id: str | None = None
        try:
            model = _decode(envelope)
            campana_id = model.campana_id
            fingerprint = _digest(model.model_dump_json().encode())
            campana = await _apply(uow, to_domain(model), fingerprint)
        except _AlreadyApplied:
            return Outcome("duplicate", envelope.command_id)
        except (DomainError, Rejection) as error:
            rejection = error if isinstance(error, Rejection) else Rejection.from_domain(error)
            if defer and rejection.reason in DEFERRABLE:
                raise Deferred(rejection) from error
            return await _reject(uow, envelope, fingerprint, campana_id, rejection)

        version = campana.version + 1  # what the repository writes at commit
        occurred_at = _now()
        messages = []
        for index, event in enumerate(campana.extraer_eventos()):
            name, body = to_integration(event)
            this_event = event_id(envelope.command_id, str(index))
            messages.append(
                OutboxMessage(
                    event_id=this_event,
                    topic=event_topic(name),
                    key=campana.id,
                    payload=body.model_dump_json().encode(),
                    properties=event_properties(
                        event_id=this_event,
                        event_type=name,
                        occurred_at=occurred_at,
                        command_id=envelope.command_id,
                        correlation_id=envelope.correlation_id,
                        aggregate_version=version,
                    ),
                )
            )
        uow.campaigns.add(campana)
        uow.outbox.add(messages)
        ids = tuple(m.event_id for m in messages)
        uow.commands.add(
            CommandRecord(
                command_id=envelope.command_id,
                command_type=envelope.command_type,
                campana_id=campana.id,
                fingerprint=fingerprint,
                status="applied",
                event_ids=ids,
                correlation_id=envelope.correlation_id,
            )
        )
        await uow.commit()
        return Outcome("applied", envelope.command_id, ids)


def _decode(envelope: CommandEnvelope) -> ComandoCampanaV1:
    if len(envelope.body) > MAX_BODY_BYTES:
        raise Rejection(
            "PAYLOAD_TOO_LARGE",
            None,
            f"body: {len(envelope.body)} bytes, the limit is {MAX_BODY_BYTES}",
            dead_letter=True,
        )
    if envelope.schema_version not in (None, "", "1"):
        raise Rejection(
            "UNSUPPORTED_SCHEMA_VERSION",
            None,
            f"schema_version: {envelope.schema_version!r} sent to a v1 topic; expected '1' "
            "(or no schema_version property)",
        )
    model_type = COMMANDS[envelope.command_type]
    try:
        return model_type.model_validate_json(envelope.body)
    except pydantic.ValidationError as error:
        raise Rejection.from_validation(error) from error


async def _apply(uow: UnitOfWork, command: Comando, fingerprint: str) -> Campana:
    if isinstance(command, CrearCampana):
        if await uow.campaigns.get(command.campana_id) is not None:
            creation = await uow.commands.creation_of(command.campana_id)
            if creation is not None and creation.fingerprint == fingerprint:
                raise _AlreadyApplied
            raise Rejection(
                "CAMPAIGN_EXISTS",
                "id",
                f"id: campaign {command.campana_id!r} already exists with different data",
            )
        return Campana.crear(
            id=command.campana_id,
            nombre=command.nombre,
            tipo=command.tipo,
            estado=command.estado,
            fecha_inicio=command.fecha_inicio,
            fecha_fin=command.fecha_fin,
            presupuesto=Presupuesto(command.monto, command.divisa),
            marca_id=command.marca_id,
            participantes=command.participantes,
        )
    campana = await uow.campaigns.get(command.campana_id)
    if campana is None:
        raise Rejection(
            "UNKNOWN_CAMPAIGN",
            "campana_id",
            f"campana_id: no campaign {command.campana_id!r}; create it first",
        )
    match command:
        case ActivarCampana():
            campana.activar()
        case PausarCampana():
            campana.pausar()
        case ReanudarCampana():
            campana.reanudar()
        case FinalizarCampana():
            campana.finalizar()
        case AgregarParticipante():
            campana.agregar_participante(command.participante)
        case RetirarParticipante():
            campana.retirar_participante(command.participante_id)
        case AjustarPresupuesto():
            campana.ajustar_presupuesto(Presupuesto(command.monto, command.divisa))
    return campana


async def _reject(
    uow: UnitOfWork,
    envelope: CommandEnvelope,
    fingerprint: str,
    campana_id: str | None,
    rejection: Rejection,
    *,
    record: bool = True,
) -> Outcome:
    body = ComandoRechazadoV1(
        command_id=envelope.command_id,
        command_type=envelope.command_type,
        campana_id=campana_id,
        reason=rejection.reason,
        field=rejection.field,
        message=rejection.message,
    )
    suffix = "rejected" if record else f"rejected-{fingerprint[:16]}"
    rejected_id = event_id(envelope.command_id, suffix)
    uow.outbox.add(
        [
            OutboxMessage(
                event_id=rejected_id,
                topic=event_topic("comando-rechazado"),
                key=campana_id or envelope.command_id,
                payload=body.model_dump_json().encode(),
                properties=event_properties(
                    event_id=rejected_id,
                    event_type="comando-rechazado",
                    occurred_at=_now(),
                    command_id=envelope.command_id,
                    correlation_id=envelope.correlation_id,
                    aggregate_version=None,
                ),
            )
        ]
    )
    if record:
        uow.commands.add(
            CommandRecord(
                command_id=envelope.command_id,
                command_type=envelope.command_type,
                campana_id=campana_id,
                fingerprint=fingerprint,
                status="rejected",
                event_ids=(rejected_id,),
                reason=rejection.reason,
                field=rejection.field,
                message=rejection.message,
                correlation_id=envelope.correlation_id,
            )
        )
    await uow.commit()
    return Outcome("rejected", envelope.command_id, (rejected_id,), rejection)


def _reused(envelope: CommandEnvelope) -> Rejection:
    return Rejection(
        "COMMAND_ID_REUSED",
        None,
        f"command_id: {envelope.command_id!r} was already used for another command type",
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
