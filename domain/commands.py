"""Commands: requests to change a campaign, named in the imperative.

Plain frozen dataclasses with no logic. They hold already-typed values (`datetime`, `Decimal`)
but are not validated: building a command never raises; the aggregate validates when the
handler applies it, and the `DomainError` it raises names the offending field. Every command
carries the `campana_id` it targets (the aggregate id, also the message partition key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.values import DatosParticipante, EstadoCampana


@dataclass(frozen=True)
class Comando:
    """Base of every command."""

    campana_id: str


@dataclass(frozen=True)
class CrearCampana(Comando):
    """Create a campaign. `estado` exists because the wire format has it; only "draft" is
    accepted (`Campana.crear` rejects any other value with ``INVALID_INITIAL_STATUS``)."""

    nombre: str
    tipo: str
    fecha_inicio: datetime
    fecha_fin: datetime
    monto: Decimal
    divisa: str
    marca_id: str
    participantes: tuple[DatosParticipante, ...] = ()
    estado: str = EstadoCampana.DRAFT.value


@dataclass(frozen=True)
class ActivarCampana(Comando):
    """Start a draft campaign."""


@dataclass(frozen=True)
class PausarCampana(Comando):
    """Pause an active campaign."""


@dataclass(frozen=True)
class ReanudarCampana(Comando):
    """Resume a paused campaign."""


@dataclass(frozen=True)
class FinalizarCampana(Comando):
    """Finish an active or paused campaign."""


@dataclass(frozen=True)
class AgregarParticipante(Comando):
    """Add a participant to a campaign that is not finished."""

    participante: DatosParticipante


@dataclass(frozen=True)
class RetirarParticipante(Comando):
    """Remove a participant from a campaign that is not finished."""

    participante_id: str


@dataclass(frozen=True)
class AjustarPresupuesto(Comando):
    """Set a new budget amount, in the campaign's current currency."""

    monto: Decimal
    divisa: str
