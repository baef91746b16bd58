"""`Campana`: the campaign aggregate.

Invariants, checked on every construction and change:

- `id` and `marca_id` are ids (1-64 ASCII characters from ``[A-Za-z0-9_.:-]``); `nombre` is a
  non-blank single line of at most 200 characters (stored stripped);
- `fecha_inicio` < `fecha_fin`, both timezone-aware `datetime`s;
- `presupuesto.monto` > 0 and `presupuesto.divisa` never changes after creation;
- participant ids are unique (a participant's `tipo` is independent of the campaign's `tipo`:
  any campaign takes Influencer and Affiliate participants);
- lifecycle: draft -activar-> active -pausar-> paused -reanudar-> active, and
  active | paused -finalizar-> finished; a finished campaign never changes again.

Every operation validates everything before it changes anything: it either succeeds and records
one event in `eventos`, or raises a `DomainError` leaving the campaign and `eventos` untouched.
A new campaign starts in draft: `crear` rejects any other `estado` (``INVALID_INITIAL_STATUS``)
instead of silently ignoring it, so a client asking for an active campaign learns it must send
`ActivarCampana`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from domain.errors import ErrorCode, RuleViolation, StateError, ValidationError
from domain.events import (
    CampanaActivada,
    CampanaCreada,
    CampanaFinalizada,
    CampanaPausada,
    CampanaReanudada,
    EventoDominio,
    ParticipanteAgregado,
    ParticipanteRetirado,
    PresupuestoAjustado,
)
from domain.validation import (
    mostrar,
    validar_fecha,
    validar_id,
    validar_miembro,
    validar_nombre,
    validar_rango,
)
from domain.values import (
    DatosParticipante,
    EstadoCampana,
    Participante,
    Presupuesto,
    TipoCampana,
)

_D, _A, _P, _F = (
    EstadoCampana.DRAFT,
    EstadoCampana.ACTIVE,
    EstadoCampana.PAUSED,
    EstadoCampana.FINISHED,
)

TRANSICIONES: Final[dict[str, tuple[tuple[EstadoCampana, ...], EstadoCampana]]] = {
    "activar": ((_D,), _A),
    "pausar": ((_A,), _P),
    "reanudar": ((_P,), _A),
    "finalizar": ((_A, _P), _F),
}
"""Lifecycle operation -> (the estados it is allowed from, the estado it leads to)."""


class Campana:
    """A marketing campaign run with partners for a brand (the aggregate root).

    `Campana(...)` rebuilds a stored campaign (any `estado`, no event); `Campana.crear(...)`
    creates a new one. `version` is for optimistic concurrency and is managed by the repository.
    """

    def __init__(
        self,
        *,
        id: str,
        nombre: str,
        tipo: str,
        estado: str,
        fecha_inicio: datetime,
        fecha_fin: datetime,
        presupuesto: Presupuesto,
        marca_id: str,
        participantes: Iterable[Participante] = (),
        version: int = 0,
    ) -> None:
        self.id: Final = validar_id(id, "id")
        self.nombre: Final = validar_nombre(nombre, "nombre")
        self.tipo: Final = validar_miembro(TipoCampana, tipo, "tipo", ErrorCode.INVALID_TYPE)
        self._estado = validar_miembro(EstadoCampana, estado, "estado", ErrorCode.INVALID_STATUS)
        self.fecha_inicio: Final = validar_fecha(fecha_inicio, "fecha_inicio")
        self.fecha_fin: Final = validar_fecha(fecha_fin, "fecha_fin")
        validar_rango(self.fecha_inicio, self.fecha_fin)
        self._presupuesto = presupuesto
        self.marca_id: Final = validar_id(marca_id, "marca_id")
        self._participantes: dict[str, Participante] = {}
        for indice, participante in enumerate(participantes):
            self._comprobar_unico(participante, f"participantes[{indice}]")
            self._participantes[participante.id] = participante
        self.version = version
        self.eventos: list[EventoDominio] = []

    @classmethod
    def crear(
        cls,
        *,
        id: str,
        nombre: str,
        tipo: str,
        fecha_inicio: datetime,
        fecha_fin: datetime,
        presupuesto: Presupuesto,
        marca_id: str,
        participantes: Iterable[DatosParticipante] = (),
        estado: str = EstadoCampana.DRAFT.value,
    ) -> Campana:
        """Create a campaign in draft after validating everything; records `CampanaCreada`."""
        inicial = validar_miembro(EstadoCampana, estado, "estado", ErrorCode.INVALID_STATUS)
        if inicial is not EstadoCampana.DRAFT:
            raise ValidationError(
                ErrorCode.INVALID_INITIAL_STATUS,
                "estado",
                f"expected 'draft' (every campaign is created in draft; send ActivarCampana "
                f"to activate it), got {mostrar(estado)}",
            )
        campana = cls(
            id=id,
            nombre=nombre,
            tipo=tipo,
            estado=inicial,
            fecha_inicio=fecha_inicio,
            fecha_fin=fecha_fin,
            presupuesto=presupuesto,
            marca_id=marca_id,
            participantes=[
                Participante.desde(datos, f"participantes[{indice}]")
                for indice, datos in enumerate(participantes)
            ],
        )
        campana.eventos.append(
            CampanaCreada(
                campana_id=campana.id,
                nombre=campana.nombre,
                tipo=campana.tipo,
                estado=campana.estado,
                fecha_inicio=campana.fecha_inicio,
                fecha_fin=campana.fecha_fin,
                presupuesto=campana.presupuesto,
                marca_id=campana.marca_id,
                participantes=campana.participantes,
            )
        )
        return campana

    @property
    def estado(self) -> EstadoCampana:
        return self._estado

    @property
    def presupuesto(self) -> Presupuesto:
        return self._presupuesto

    @property
    def participantes(self) -> tuple[Participante, ...]:
        """The participants, in the order they joined."""
        return tuple(self._participantes.values())

    def participante(self, participante_id: str) -> Participante | None:
        """The participant with that id, or None."""
        return self._participantes.get(participante_id)

    # Lifecycle

    def activar(self) -> None:
        """draft -> active; records `CampanaActivada`."""
        self._transitar("activar", CampanaActivada(self.id))

    def pausar(self) -> None:
        """active -> paused; records `CampanaPausada`."""
        self._transitar("pausar", CampanaPausada(self.id))

    def reanudar(self) -> None:
        """paused -> active; records `CampanaReanudada`."""
        self._transitar("reanudar", CampanaReanudada(self.id))

    def finalizar(self) -> None:
        """active | paused -> finished; records `CampanaFinalizada`."""
        self._transitar("finalizar", CampanaFinalizada(self.id))

    # Participants and budget

    def agregar_participante(self, datos: DatosParticipante) -> Participante:
        """Add a participant (errors under ``participante.*``); records `ParticipanteAgregado`."""
        self._exigir_no_finalizada("agregar_participante")
        participante = Participante.desde(datos, "participante")
        self._comprobar_unico(participante, "participante")
        self._participantes[participante.id] = participante
        self.eventos.append(ParticipanteAgregado(self.id, participante))
        return participante

    def retirar_participante(self, participante_id: str) -> None:
        """Remove a participant by id; records `ParticipanteRetirado`."""
        self._exigir_no_finalizada("retirar_participante")
        validar_id(participante_id, "participante_id")
        if participante_id not in self._participantes:
            raise RuleViolation(
                ErrorCode.UNKNOWN_PARTICIPANT,
                "participante_id",
                f"expected the id of a participant of campaign {self.id!r} "
                f"({self._ids_mostrados()}), got {participante_id!r}",
            )
        del self._participantes[participante_id]
        self.eventos.append(ParticipanteRetirado(self.id, participante_id))

    def ajustar_presupuesto(self, nuevo: Presupuesto) -> None:
        """Replace the budget, keeping its currency; records `PresupuestoAjustado`.

        Adjusting to the budget already in place is a no-op and records nothing.
        """
        self._exigir_no_finalizada("ajustar_presupuesto")
        anterior = self._presupuesto
        if nuevo.divisa != anterior.divisa:
            raise RuleViolation(
                ErrorCode.CURRENCY_CHANGE,
                "presupuesto.divisa",
                f"expected the campaign's currency {anterior.divisa!r} (a budget's currency "
                f"cannot change), got {nuevo.divisa!r}",
            )
        if nuevo == anterior:
            return
        self._presupuesto = nuevo
        self.eventos.append(PresupuestoAjustado(self.id, anterior, nuevo))

    def extraer_eventos(self) -> list[EventoDominio]:
        """Return the recorded events, oldest first, and forget them (for the Unit of Work)."""
        eventos, self.eventos = self.eventos, []
        return eventos

    def __repr__(self) -> str:
        return (
            f"Campana(id={self.id!r}, estado={self.estado.value!r}, tipo={self.tipo.value!r}, "
            f"participantes={len(self._participantes)}, version={self.version})"
        )

    # Rules

    def _transitar(self, operacion: str, evento: EventoDominio) -> None:
        origenes, destino = TRANSICIONES[operacion]
        if self._estado not in origenes:
            permitidos = " or ".join(repr(o.value) for o in origenes)
            raise StateError(
                ErrorCode.ILLEGAL_TRANSITION,
                "estado",
                f"cannot {operacion} campaign {self.id!r} in estado {self._estado.value!r}; "
                f"{operacion} expects estado {permitidos}",
            )
        self._estado = destino
        self.eventos.append(evento)

    def _exigir_no_finalizada(self, operacion: str) -> None:
        if self._estado is EstadoCampana.FINISHED:
            raise StateError(
                ErrorCode.CAMPAIGN_FINISHED,
                "estado",
                f"cannot {operacion} on campaign {self.id!r} in estado 'finished'; "
                f"expected a campaign that is not finished (finished campaigns never change)",
            )

    def _comprobar_unico(self, participante: Participante, campo: str) -> None:
        if participante.id in self._participantes:
            raise RuleViolation(
                ErrorCode.DUPLICATE_PARTICIPANT,
                f"{campo}.id",
                f"expected an id not yet in campaign {self.id!r}, got {participante.id!r} again",
            )

    def _ids_mostrados(self) -> str:
        ids = list(self._participantes)
        if not ids:
            return "it has none"
        listados = ", ".join(repr(i) for i in ids[:10])
        return "one of " + listados + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
