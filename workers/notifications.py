"""The notification worker (the seed's `notificacion`): tells people what happened.

One subscriber on the v2 event stream, on the subscription ``alpes-notificaciones``, turns
each event into a ``Notification`` and hands it to a ``NotificationSender`` (a log and
JSON-lines file by default, or e-mail). A send that fails raises, so the event is nacked
and redelivered, and dead-lettered once its redeliveries are spent; a body that breaks
the contract is dead-lettered at once.

Delivery is at least once. Event ids recently notified are remembered in memory, so a
redelivery (an acknowledgement lost, a relay that sent twice) is skipped; after a
restart that memory is gone, and an event delivered again is notified again. An e-mail
sent twice carries the same Message-ID.
"""

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

from faststream._internal.context.repository import ContextRepo
from faststream.exceptions import RejectMessage
from pydantic import BaseModel

from adapters.notifications import LogSender, Notification, NotificationSender, SmtpSender
from adapters.pulsar import PulsarBroker, PulsarMessage
from adapters.pulsar.decoders import raw_body
from adapters.pulsar.message import current_message
from contracts import properties as p
from contracts.topics import EVENTS_V2
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

from .settings import Settings

log = logging.getLogger("alpes.notifications")

SUBSCRIPTION = "alpes-notificaciones"
NOTIFICATION_FILE = "notifications.jsonl"  # in the data folder, unless configured


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


def register(
    broker: PulsarBroker,
    sender: NotificationSender,
    *,
    subscription: str = SUBSCRIPTION,
    recent: RecentIds | None = None,
) -> None:
    """Subscribe the notification handler to the v2 event stream of ``broker``."""
    seen = recent if recent is not None else RecentIds()
    broker.subscriber(
        EVENTS_V2,
        subscription=subscription,
        decoder=raw_body,
        title="notify-eventos.v2",
        description="Notifies every campaign event (v2).",
    )(_handler(EVENTS_V2, sender, seen, broker.context))


def build_sender(settings: Settings) -> NotificationSender:
    """The sender ALPES_NOTIFICATION_SENDER names: ``log`` (default; JSON lines appended to
    ALPES_NOTIFICATION_FILE, by default ``<ALPES_DATA_DIR>/notifications.jsonl``, and a log
    line on ``alpes.notifications``) or ``smtp`` (ALPES_SMTP_*; ALPES_SMTP_TO may list
    several addresses separated by commas)."""
    kind = settings.notification_sender.strip().lower()
    if kind == "log":
        return LogSender(settings.notification_file or settings.data_dir / NOTIFICATION_FILE)
    if kind == "smtp":
        recipients = [a.strip() for a in settings.smtp_to.split(",") if a.strip()]
        if not recipients:
            msg = "ALPES_SMTP_TO is empty; give one address or several separated by commas."
            raise ValueError(msg)
        if (settings.smtp_user is None) != (settings.smtp_password is None):
            msg = "Set both ALPES_SMTP_USER and ALPES_SMTP_PASSWORD, or neither."
            raise ValueError(msg)
        password = settings.smtp_password
        return SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            recipients=recipients,
            user=settings.smtp_user,
            password=password.get_secret_value() if password is not None else None,
        )
    msg = f"ALPES_NOTIFICATION_SENDER is {settings.notification_sender!r}; expected log or smtp."
    raise ValueError(msg)


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


def _handler(
    topic: str, sender: NotificationSender, recent: RecentIds, context: ContextRepo
) -> Callable[..., Awaitable[None]]:
    async def notify(body: bytes) -> None:
        message = current_message(context)
        name = str(message.headers.get(p.EVENT_TYPE) or "")
        if name not in EVENTS:
            log.warning("event dead-lettered: %s", UnknownEventType(name))
            raise RejectMessage(reason="unknown-event-type") from UnknownEventType(name)
        event_id = str(message.headers.get(p.EVENT_ID) or f"{topic}@{message.message_id}")
        if event_id in recent:
            log.info("%s %s already notified; skipped", name, event_id)
            return
        notification = notification_of(
            name, body, event_id=event_id, occurred_at=occurred_at_of(message)
        )
        await sender.send(notification)
        recent.add(event_id)

    return notify


class UnknownEventType(ValueError):
    """An event whose ``event_type`` property names no v2 event: dead-lettered."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"event_type {name!r} names no v2 event; expected one of {', '.join(EVENTS)}"
        )


def occurred_at_of(message: PulsarMessage) -> datetime:
    """The event's ``occurred_at`` property, or the time it was published."""
    raw = message.raw_message.message
    return occurred_at(raw.properties().get(p.OCCURRED_AT), raw.publish_timestamp())


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
