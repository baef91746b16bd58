"""Domain events: facts about a campaign, named in the past tense.

Each event is a frozen dataclass carrying `campana_id` and the data a downstream consumer needs
without reading the write model. Event ids and timestamps are not domain data: the outbox assigns
them when it stores the event, in the same transaction as the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from domain.values import EstadoCampana, Participante, Presupuesto, TipoCampana


@dataclass(frozen=True)
class EventoDominio:
    """Base of every domain event."""

    campana_id: str


@dataclass(frozen=True)
class CampanaCreada(EventoDominio):
    """A campaign was created (in draft); a full snapshot of it."""

    nombre: str
    tipo: TipoCampana
    estado: EstadoCampana
    fecha_inicio: datetime
    fecha_fin: datetime
    presupuesto: Presupuesto
    marca_id: str
    participantes: tuple[Participante, ...]


@dataclass(frozen=True)
class CampanaActivada(EventoDominio):
    """A draft campaign is now active (a paused one resuming emits `CampanaReanudada`)."""


@dataclass(frozen=True)
class CampanaPausada(EventoDominio):
    """An active campaign is now paused."""


@dataclass(frozen=True)
class CampanaReanudada(EventoDominio):
    """A paused campaign is active again."""


@dataclass(frozen=True)
class CampanaFinalizada(EventoDominio):
    """An active or paused campaign is finished; it can no longer change."""


@dataclass(frozen=True)
class ParticipanteAgregado(EventoDominio):
    """A participant joined the campaign."""

    participante: Participante


@dataclass(frozen=True)
class ParticipanteRetirado(EventoDominio):
    """A participant left the campaign."""

    participante_id: str


@dataclass(frozen=True)
class PresupuestoAjustado(EventoDominio):
    """The campaign's budget changed from `anterior` to `nuevo` (same currency)."""

    anterior: Presupuesto
    nuevo: Presupuesto


EventoCampana: TypeAlias = (
    CampanaCreada
    | CampanaActivada
    | CampanaPausada
    | CampanaReanudada
    | CampanaFinalizada
    | ParticipanteAgregado
    | ParticipanteRetirado
    | PresupuestoAjustado
)
"""Every concrete campaign event, for exhaustive matching."""
