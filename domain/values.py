"""Value objects of the campaign: the enumerations, `Presupuesto` and `Participante`.

Value objects validate themselves on construction and are immutable. `DatosParticipante` is
the exception: it is the unvalidated participant data a command carries; the aggregate turns it
into a `Participante`, so that errors name the exact path (``participantes[1].id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from domain.errors import ErrorCode
from domain.profile import InformacionPerfil, Perfil, ValorPerfil, validar_perfil
from domain.validation import (
    validar_divisa,
    validar_id,
    validar_miembro,
    validar_monto,
    validar_nombre,
)


class TipoCampana(StrEnum):
    """The kind of campaign; it does not restrict its participants' `TipoParticipante`."""

    INFLUENCER = "Influencer"
    AFFILIATE = "Affiliate"
    MIXED = "Mixed"


class TipoParticipante(StrEnum):
    """The kind of a partner."""

    INFLUENCER = "Influencer"
    AFFILIATE = "Affiliate"


class EstadoCampana(StrEnum):
    """The lifecycle state: draft -> active <-> paused -> finished (also active -> finished)."""

    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"


@dataclass(frozen=True)
class Presupuesto:
    """A budget: a finite `Decimal` amount > 0 in an active ISO-4217 currency (`divisa`)."""

    monto: Decimal
    divisa: str

    def __post_init__(self) -> None:
        validar_monto(self.monto, "presupuesto.monto")
        validar_divisa(self.divisa, "presupuesto.divisa")

    def __str__(self) -> str:
        return f"{self.monto} {self.divisa}"


@dataclass(frozen=True)
class DatosParticipante:
    """Participant data as a command carries it, not validated yet (see `Participante.desde`).

    `informacion_perfil` is free text or a mapping, as the client sent it.
    """

    id: str
    tipo: str
    nombre: str
    informacion_perfil: str | Mapping[str, ValorPerfil] = field(default_factory=dict)


@dataclass(frozen=True)
class Participante:
    """A partner taking part in a campaign.

    `nombre` is stored stripped; `informacion_perfil` keeps the form it was given in: free text
    stays the same `str`, a mapping becomes a read-only `Perfil` copy.
    """

    id: str
    tipo: TipoParticipante
    nombre: str
    informacion_perfil: InformacionPerfil = field(default_factory=Perfil)

    def __post_init__(self) -> None:
        valores = _validar_participante(
            self.id, self.tipo, self.nombre, self.informacion_perfil, "participante"
        )
        for nombre, valor in zip(_CAMPOS_PARTICIPANTE, valores, strict=True):
            object.__setattr__(self, nombre, valor)

    @classmethod
    def desde(cls, datos: DatosParticipante, campo: str = "participante") -> Participante:
        """Validate `datos`, naming errors under `campo` (e.g. ``participantes[1]``)."""
        return cls(
            *_validar_participante(
                datos.id, datos.tipo, datos.nombre, datos.informacion_perfil, campo
            )
        )


_CAMPOS_PARTICIPANTE = ("id", "tipo", "nombre", "informacion_perfil")


def _validar_participante(
    id: object, tipo: object, nombre: object, perfil: object, campo: str
) -> tuple[str, TipoParticipante, str, InformacionPerfil]:
    return (
        validar_id(id, f"{campo}.id"),
        validar_miembro(TipoParticipante, tipo, f"{campo}.tipo", ErrorCode.INVALID_TYPE),
        validar_nombre(nombre, f"{campo}.nombre"),
        validar_perfil(perfil, f"{campo}.informacion_perfil"),
    )
