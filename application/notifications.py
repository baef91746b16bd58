"""The notification rules: what people are told about each integration event, and the
port that tells them (``NotificationSender``: a log file, e-mail...).

Delivery is at least once. Event ids recently notified are remembered in memory
(``RecentIds``), so a redelivery is skipped; after a restart that memory is gone.
"""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel

from contracts.v2 import (
    EVENTS,
    CampanaActivadaV2,
    CampanaCreadaV2,
    CampanaFinalizadaV2,
    CampanaPausadaV2,
    CampanaReanudadaV2,
    ComandoRechazadoV2,
    ParticipanteAgregadoV2,
    ParticipanteRetiradoV2,
    PresupuestoAjustadoV2,
    PresupuestoEventoV2,
)


@dataclass(frozen=True, slots=True)
class Notification:
    """A message for people about one integration event."""

    event_id: str  # the event's stable id: a resent notification carries the same one
    event_type: str  # e.g. "campana-creada"
    campana_id: str | None  # None for a rejected command that named no campaign
    subject: str  # one line
    text: str  # the body, plain text
    occurred_at: datetime  # when the event happened (UTC)

    def as_json(self) -> dict[str, str | None]:
        """The fields as JSON-ready values (``occurred_at`` as ISO-8601)."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "campana_id": self.campana_id,
            "subject": self.subject,
            "text": self.text,
            "occurred_at": self.occurred_at.isoformat(),
        }


class NotificationSender(Protocol):
    async def send(self, notification: Notification) -> None:
        """Deliver ``notification``, or raise: a notification that returned is delivered."""
        ...


class NotificationSendError(ConnectionError):
    """A notification could not be delivered (the cause is chained)."""


class UnknownEventType(ValueError):
    """An event whose ``event_type`` property names no v2 event: dead-lettered."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"event_type {name!r} names no v2 event; expected one of {', '.join(EVENTS)}"
        )


class RecentIds:
    """The last ``capacity`` event ids notified, least recently seen dropped first."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)


def notification_of(
    event_type: str, body: bytes, *, event_id: str, occurred_at: datetime
) -> Notification:
    """The notification of one event; raises pydantic.ValidationError on a bad body."""
    event = EVENTS[event_type].model_validate_json(body)
    subject, details = describe(event)
    footer = f"Evento {event_type} {event_id}, {occurred_at.isoformat()}"
    text = "\n".join([subject, "", *details, *([""] if details else []), footer]) + "\n"
    return Notification(
        event_id=event_id,
        event_type=event_type,
        campana_id=getattr(event, "campana_id", None),
        subject=subject,
        text=text,
        occurred_at=occurred_at,
    )


def describe(event: BaseModel) -> tuple[str, list[str]]:
    """A one-line summary of a v2 event, and lines of detail."""
    match event:
        case CampanaCreadaV2():
            n = len(event.participantes)
            subject = (
                f"Campaña {event.campana_id} creada: {event.nombre} ({event.tipo}), "
                f"presupuesto {money(event.presupuesto)}, "
                f"{n} participante{'' if n == 1 else 's'}"
            )
            details = [
                f"Marca: {event.marca_id}",
                f"Del {event.fecha_inicio.isoformat()} al {event.fecha_fin.isoformat()}",
                f"Estado: {event.estado}",
                *(f"Participante: {x.id} {x.nombre} ({x.tipo})" for x in event.participantes),
            ]
            return subject, details
        case CampanaActivadaV2():
            return f"Campaña {event.campana_id} activada", []
        case CampanaPausadaV2():
            return f"Campaña {event.campana_id} pausada", []
        case CampanaReanudadaV2():
            return f"Campaña {event.campana_id} reanudada", []
        case CampanaFinalizadaV2():
            return f"Campaña {event.campana_id} finalizada", []
        case ParticipanteAgregadoV2():
            x = event.participante
            return (
                f"Participante {x.id} agregado a la campaña {event.campana_id}: "
                f"{x.nombre} ({x.tipo})",
                [],
            )
        case ParticipanteRetiradoV2():
            return (
                f"Participante {event.participante_id} retirado de la campaña {event.campana_id}",
                [],
            )
        case PresupuestoAjustadoV2():
            return (
                f"Presupuesto de la campaña {event.campana_id} ajustado: "
                f"{money(event.anterior)} -> {money(event.nuevo)}",
                [],
            )
        case ComandoRechazadoV2():
            target = f" ({event.campana_id})" if event.campana_id else ""
            details = [f"Comando: {event.command_id}"]
            if event.field:
                details.append(f"Campo: {event.field}")
            return (
                f"Comando rechazado: {event.command_type}{target}, {event.reason}: {event.message}",
                details,
            )
    return f"Evento {type(event).__name__}", []


def money(presupuesto: PresupuestoEventoV2) -> str:
    """``15000 USD`` for 15000.00, ``15000.5 USD`` for 15000.50."""
    try:
        amount = Decimal(presupuesto.monto)
    except ArithmeticError:
        amount = Decimal("NaN")
    if not amount.is_finite():  # not ours to judge here: shown as it came
        return f"{presupuesto.monto} {presupuesto.divisa}"
    if amount == amount.to_integral_value():
        return f"{amount.to_integral_value():f} {presupuesto.divisa}"
    return f"{amount.normalize():f} {presupuesto.divisa}"


def occurred_at(value: str | None, publish_timestamp: int) -> datetime:
    """``value`` (ISO-8601, UTC when it names no zone), else ``publish_timestamp`` (ms)."""
    if value:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    return datetime.fromtimestamp(publish_timestamp / 1000, UTC)
