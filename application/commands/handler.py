"""Apply one command: exactly one outcome, applied, duplicate or rejected.

Inside one Unit of Work: look the command id up (a re-sent command is a duplicate),
check the expected version, apply the command to the aggregate, and write the campaign,
its outbox events and the command record together. A rejection is written the same way,
with a ``comando-rechazado`` event instead. Rejections are final: the broker delivers a
campaign's v2 commands in the order sent, so no rejection waits for a later arrival. A
concurrent change of the same campaign is caught by its version and the whole command is
tried again.
"""

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from application.errors import ConcurrencyError
from application.records import CommandRecord
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
from .incoming import CommandEnvelope, IncomingCommand, decode
from .rejection import Rejection
from .render import EventMeta, EventRenderer, event_id

MAX_ATTEMPTS = 8

# Both versions' events unless told otherwise (ALPES_PUBLISH_V1_EVENTS).
DEFAULT_RENDERER = EventRenderer()


@dataclass(frozen=True)
class Outcome:
    status: Literal["applied", "duplicate", "rejected"]
    command_id: str
    event_ids: tuple[str, ...] = ()
    rejection: Rejection | None = None


class _AlreadyApplied(Exception):
    """The campaign already exists with exactly this creation data."""

    def __init__(self, creation: CommandRecord) -> None:
        super().__init__(creation.command_id)
        self.creation = creation


async def handle_command(
    command: CommandEnvelope | IncomingCommand,
    uow_factory: UnitOfWorkFactory,
    renderer: EventRenderer = DEFAULT_RENDERER,
) -> Outcome:
    """Apply one command in its own Unit of Work, again if another writer got in first."""
    incoming = decode(command) if isinstance(command, CommandEnvelope) else command
    for attempt in range(MAX_ATTEMPTS):
        try:
            return await apply_in(incoming, uow_factory(), renderer)
        except ConcurrencyError:
            if attempt == MAX_ATTEMPTS - 1:
                raise
            # Jittered, so two workers that collided do not collide again in step.
            await asyncio.sleep(random.uniform(0.5, 1.5) * 0.005 * 2**attempt)
    raise AssertionError("unreachable")


async def apply_in(
    incoming: IncomingCommand, uow: UnitOfWork, renderer: EventRenderer = DEFAULT_RENDERER
) -> Outcome:
    """One attempt at ``incoming`` in ``uow`` (the batch processor's entry point)."""
    async with uow:
        previous = await uow.commands.get(incoming.command_id)
        if previous is not None:
            if previous.command_type != incoming.command_type:
                return await _reject(uow, incoming, _reused(incoming), renderer, record=False)
            return Outcome("duplicate", incoming.command_id, previous.event_ids)
        if incoming.rejection is not None or incoming.command is None:
            rejection = incoming.rejection or Rejection("MALFORMED_MESSAGE", None, "body: empty")
            return await _reject(uow, incoming, rejection, renderer)
        try:
            campana = await _apply(uow, incoming, incoming.command)
        except _AlreadyApplied as repeat:
            # A create sent again under a new command id: nothing new happens, but the new
            # id gets its outcome too (the original creation's), so that whoever waits on
            # it is answered, and a resend of it is a plain duplicate.
            events = repeat.creation.event_ids
            uow.commands.add(
                CommandRecord(
                    command_id=incoming.command_id,
                    command_type=incoming.command_type,
                    campana_id=incoming.command.campana_id,
                    fingerprint=incoming.fingerprint,
                    status="applied",
                    event_ids=events,
                    correlation_id=incoming.correlation_id,
                )
            )
            await uow.commit()
            return Outcome("duplicate", incoming.command_id, events)
        except DomainError as error:
            rejection = Rejection(str(error.code), incoming.field(error.field), error.message)
            return await _reject(uow, incoming, rejection, renderer)
        except Rejection as rejection:
            return await _reject(uow, incoming, rejection, renderer)

        meta = EventMeta(
            key=campana.id,
            command_id=incoming.command_id,
            correlation_id=incoming.correlation_id,
            occurred_at=_now(),
            aggregate_version=campana.version + 1,  # what the repository writes at commit
            traceparent=incoming.traceparent,
            tracestate=incoming.tracestate,
        )
        messages = []
        ids = []
        for index, event in enumerate(campana.extraer_eventos()):
            this_event = event_id(incoming.command_id, str(index))
            ids.append(this_event)
            messages.extend(renderer.event(event, this_event, meta))
        uow.campaigns.add(campana)
        uow.outbox.add(messages)
        uow.commands.add(
            CommandRecord(
                command_id=incoming.command_id,
                command_type=incoming.command_type,
                campana_id=campana.id,
                fingerprint=incoming.fingerprint,
                status="applied",
                event_ids=tuple(ids),
                correlation_id=incoming.correlation_id,
            )
        )
        await uow.commit()
        return Outcome("applied", incoming.command_id, tuple(ids))


async def _apply(uow: UnitOfWork, incoming: IncomingCommand, command: Comando) -> Campana:
    campana = await uow.campaigns.get(command.campana_id)
    if isinstance(command, CrearCampana):
        if campana is not None:
            creation = await uow.commands.creation_of(command.campana_id)
            if creation is not None and creation.fingerprint == incoming.fingerprint:
                raise _AlreadyApplied(creation)
            _check_version(incoming, campana)
            field = incoming.field("id")
            raise Rejection(
                "CAMPAIGN_EXISTS",
                field,
                f"{field}: campaign {command.campana_id!r} already exists with different data",
            )
        _check_version(incoming, None)
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
    if campana is None:
        raise Rejection(
            "UNKNOWN_CAMPAIGN",
            "campana_id",
            f"campana_id: no campaign {command.campana_id!r}; create it first",
        )
    _check_version(incoming, campana)
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


def _check_version(incoming: IncomingCommand, campana: Campana | None) -> None:
    """Optimistic concurrency for producers: the version they last saw must be current
    (a campaign that does not exist yet is at version 0)."""
    expected = incoming.expected_version
    current = 0 if campana is None else campana.version
    if expected is not None and expected != current:
        raise Rejection(
            "VERSION_CONFLICT",
            "expected_version",
            f"expected_version: {expected}, but campaign {incoming.campana_id!r} is at "
            f"version {current}; read it again and decide",
        )


async def _reject(
    uow: UnitOfWork,
    incoming: IncomingCommand,
    rejection: Rejection,
    renderer: EventRenderer,
    *,
    record: bool = True,
) -> Outcome:
    suffix = "rejected" if record else f"rejected-{incoming.fingerprint[:16]}"
    rejected_id = event_id(incoming.command_id, suffix)
    meta = EventMeta(
        key=incoming.campana_id or incoming.command_id,
        command_id=incoming.command_id,
        correlation_id=incoming.correlation_id,
        occurred_at=_now(),
        aggregate_version=None,
        traceparent=incoming.traceparent,
        tracestate=incoming.tracestate,
    )
    uow.outbox.add(
        renderer.rejection(
            rejected_id,
            meta,
            command_id=incoming.command_id,
            command_type=incoming.command_type,
            campana_id=incoming.campana_id,
            reason=rejection.reason,
            field=rejection.field,
            message=rejection.message,
        )
    )
    if record:
        uow.commands.add(
            CommandRecord(
                command_id=incoming.command_id,
                command_type=incoming.command_type,
                campana_id=incoming.campana_id,
                fingerprint=incoming.fingerprint,
                status="rejected",
                event_ids=(rejected_id,),
                reason=rejection.reason,
                field=rejection.field,
                message=rejection.message,
                correlation_id=incoming.correlation_id,
            )
        )
    await uow.commit()
    return Outcome("rejected", incoming.command_id, (rejected_id,), rejection)


def _reused(incoming: IncomingCommand) -> Rejection:
    return Rejection(
        "COMMAND_ID_REUSED",
        None,
        f"command_id: {incoming.command_id!r} was already used for another command type",
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
