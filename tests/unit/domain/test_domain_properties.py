"""Property-based tests: the aggregate against a small reference model.

The model has no rule tying a participant's `tipo` to the campaign's `tipo`: they are
independent, so any campaign takes both kinds of participant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain import (
    Campana,
    CampanaCreada,
    DatosParticipante,
    DomainError,
    ErrorCode,
    Participante,
    Perfil,
    Presupuesto,
    ValidationError,
)
from domain.validation import validar_id

INICIO = datetime(2025, 9, 10, tzinfo=UTC)
FIN = datetime(2025, 12, 10, tzinfo=UTC)
IDS = ("p-1", "p-2", "p-3", "p-4")
TIPOS_PARTICIPANTE = ("Influencer", "Affiliate")

# Independent restatement of the lifecycle: (operation, from) -> to.
SIGUIENTE = {
    ("activar", "draft"): "active",
    ("pausar", "active"): "paused",
    ("reanudar", "paused"): "active",
    ("finalizar", "active"): "finished",
    ("finalizar", "paused"): "finished",
}

montos = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2)
operaciones = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["activar", "pausar", "reanudar", "finalizar"])),
        st.tuples(st.just("agregar"), st.sampled_from(IDS), st.sampled_from(TIPOS_PARTICIPANTE)),
        st.tuples(st.just("retirar"), st.sampled_from(IDS)),
        st.tuples(st.just("ajustar"), montos, st.sampled_from(["USD", "EUR"])),
    ),
    max_size=40,
)


@dataclass
class Modelo:
    """What the campaign should look like, kept by hand."""

    tipo: str
    estado: str = "draft"
    participantes: dict[str, str] = field(default_factory=dict)
    presupuesto: tuple[Decimal, str] = (Decimal("100"), "USD")

    def aplicar(self, op: tuple[Any, ...]) -> bool:
        """Apply `op` if the rules allow it; return whether they did."""
        nombre = op[0]
        if nombre in ("activar", "pausar", "reanudar", "finalizar"):
            destino = SIGUIENTE.get((nombre, self.estado))
            if destino is None:
                return False
            self.estado = destino
            return True
        if self.estado == "finished":
            return False
        if nombre == "agregar":
            _, pid, tipo = op
            if pid in self.participantes:
                return False
            self.participantes[pid] = tipo
            return True
        if nombre == "retirar":
            return self.participantes.pop(op[1], None) is not None
        _, monto, divisa = op
        if divisa != self.presupuesto[1]:
            return False
        self.presupuesto = (monto, divisa)
        return True


def _ejecutar(campana: Campana, op: tuple[Any, ...]) -> None:
    nombre = op[0]
    if nombre == "agregar":
        campana.agregar_participante(DatosParticipante(op[1], op[2], f"Nombre {op[1]}"))
    elif nombre == "retirar":
        campana.retirar_participante(op[1])
    elif nombre == "ajustar":
        campana.ajustar_presupuesto(Presupuesto(op[1], op[2]))
    else:
        getattr(campana, nombre)()


def _foto(campana: Campana) -> tuple[Any, ...]:
    return (campana.estado, campana.presupuesto, campana.participantes, list(campana.eventos))


@given(tipo=st.sampled_from(["Influencer", "Affiliate", "Mixed"]), ops=operaciones)
def test_any_sequence_of_operations_follows_the_rules_or_fails_changing_nothing(
    tipo: str, ops: list[tuple[Any, ...]]
) -> None:
    campana = Campana.crear(
        id="c-1",
        nombre="N",
        tipo=tipo,
        fecha_inicio=INICIO,
        fecha_fin=FIN,
        presupuesto=Presupuesto(Decimal("100"), "USD"),
        marca_id="b-1",
    )
    campana.extraer_eventos()
    modelo = Modelo(tipo=tipo)

    for op in ops:
        antes = _foto(campana)
        presupuesto_antes = campana.presupuesto
        permitido = modelo.aplicar(op)
        try:
            _ejecutar(campana, op)
        except DomainError:
            assert not permitido, op
            assert _foto(campana) == antes, op
        else:
            assert permitido, op
            sin_cambio = op[0] == "ajustar" and presupuesto_antes == campana.presupuesto
            assert len(campana.eventos) == len(antes[3]) + (0 if sin_cambio else 1), op

        assert campana.estado.value == modelo.estado
        assert {p.id: p.tipo.value for p in campana.participantes} == modelo.participantes
        assert campana.presupuesto == Presupuesto(*modelo.presupuesto)
        ids = [p.id for p in campana.participantes]
        assert len(ids) == len(set(ids))
        assert campana.presupuesto.monto > 0


@given(st.text(max_size=70))
def test_an_id_is_accepted_exactly_when_it_is_1_to_64_allowed_ascii_characters(
    texto: str,
) -> None:
    permitido = 1 <= len(texto) <= 64 and all(
        c.isascii() and (c.isalnum() or c in "_.:-") for c in texto
    )
    try:
        validar_id(texto, "id")
    except ValidationError as error:
        assert not permitido
        assert error.code is ErrorCode.INVALID_ID
    else:
        assert permitido


@given(st.from_regex(re.compile(r"[A-Za-z0-9_.:-]{1,64}", re.ASCII), fullmatch=True))
def test_every_well_formed_id_is_accepted(texto: str) -> None:
    assert validar_id(texto, "id") == texto


@given(st.decimals(allow_nan=True, allow_infinity=True))
def test_a_budget_exists_exactly_for_finite_amounts_above_zero(monto: Decimal) -> None:
    try:
        presupuesto = Presupuesto(monto, "USD")
    except ValidationError as error:
        assert not (monto.is_finite() and monto > 0)
        assert (error.code, error.field) == (ErrorCode.INVALID_BUDGET, "presupuesto.monto")
    else:
        assert presupuesto.monto > 0


zonas = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutos: timezone(timedelta(minutes=minutos))
)
instantes = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=zonas
)


@given(inicio=instantes, fin=instantes)
def test_a_campaign_is_created_exactly_when_it_ends_after_it_starts(
    inicio: datetime, fin: datetime
) -> None:
    try:
        campana = Campana.crear(
            id="c-1",
            nombre="N",
            tipo="Mixed",
            fecha_inicio=inicio,
            fecha_fin=fin,
            presupuesto=Presupuesto(Decimal("1"), "USD"),
            marca_id="b-1",
        )
    except ValidationError as error:
        assert fin <= inicio
        assert (error.code, error.field) == (ErrorCode.INVALID_DATE_RANGE, "fecha_fin")
    else:
        assert campana.fecha_inicio < campana.fecha_fin


participantes = st.lists(
    st.builds(
        DatosParticipante,
        id=st.sampled_from(IDS),
        tipo=st.sampled_from(TIPOS_PARTICIPANTE),
        nombre=st.text(
            st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=20
        ).filter(str.strip),
        informacion_perfil=st.one_of(
            st.text(max_size=1000),
            st.dictionaries(
                st.text(min_size=1, max_size=8).filter(str.strip),
                st.one_of(st.text(max_size=20), st.integers(), st.booleans()),
                max_size=3,
            ),
        ),
    ),
    max_size=5,
)


@given(tipo=st.sampled_from(["Influencer", "Affiliate", "Mixed"]), datos=participantes)
def test_creation_accepts_exactly_unique_participants_and_snapshots_them_as_given(
    tipo: str, datos: list[DatosParticipante]
) -> None:
    ids = [d.id for d in datos]
    try:
        campana = Campana.crear(
            id="c-1",
            nombre="N",
            tipo=tipo,
            fecha_inicio=INICIO,
            fecha_fin=FIN,
            presupuesto=Presupuesto(Decimal("1"), "USD"),
            marca_id="b-1",
            participantes=datos,
        )
    except DomainError as error:
        assert len(set(ids)) < len(ids)
        assert error.code is ErrorCode.DUPLICATE_PARTICIPANT
    else:
        assert len(set(ids)) == len(ids)
        [creada] = campana.eventos
        assert isinstance(creada, CampanaCreada)
        assert creada.participantes == campana.participantes
        assert [p.id for p in creada.participantes] == ids
        assert [p.tipo.value for p in creada.participantes] == [d.tipo for d in datos]
        for participante, dato in zip(creada.participantes, datos, strict=True):
            perfil = participante.informacion_perfil
            if isinstance(dato.informacion_perfil, str):
                assert type(perfil) is str and perfil == dato.informacion_perfil
            else:
                assert isinstance(perfil, Perfil) and perfil == dato.informacion_perfil
        assert isinstance(hash(creada), int)  # hashable with either form of profile


@given(st.one_of(st.text(max_size=1100), st.text(min_size=995, max_size=1005)))
def test_a_free_text_profile_is_kept_verbatim_exactly_when_it_has_at_most_1000_characters(
    texto: str,
) -> None:
    try:
        participante = Participante.desde(
            DatosParticipante("p-1", "Affiliate", "A", texto), "participantes[0]"
        )
    except ValidationError as error:
        assert len(texto) > 1000
        assert (error.code, error.field) == (
            ErrorCode.INVALID_PROFILE,
            "participantes[0].informacion_perfil",
        )
    else:
        assert len(texto) <= 1000
        assert participante.informacion_perfil == texto
