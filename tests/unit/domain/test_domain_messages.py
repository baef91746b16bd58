"""Events and commands: frozen, past tense and imperative, plain data."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType

import pytest

import domain.commands
import domain.events
from domain import (
    CampanaActivada,
    Comando,
    CrearCampana,
    DatosParticipante,
    EventoDominio,
    Presupuesto,
    PresupuestoAjustado,
)


def _clases(modulo: ModuleType, base: type) -> list[type]:
    return [
        c
        for _, c in inspect.getmembers(modulo, inspect.isclass)
        if issubclass(c, base) and c is not base and c.__module__ == modulo.__name__
    ]


EVENTOS = _clases(domain.events, EventoDominio)
COMANDOS = _clases(domain.commands, Comando)


def test_there_are_eight_events_and_eight_commands() -> None:
    assert len(EVENTOS) == 8
    assert len(COMANDOS) == 8


@pytest.mark.parametrize("clase", EVENTOS + COMANDOS, ids=lambda c: c.__name__)
def test_events_and_commands_are_frozen_dataclasses_carrying_the_campaign_id(
    clase: type,
) -> None:
    assert dataclasses.is_dataclass(clase)
    assert clase.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert next(iter(dataclasses.fields(clase))).name == "campana_id"


@pytest.mark.parametrize("clase", EVENTOS, ids=lambda c: c.__name__)
def test_event_names_are_in_the_past_tense(clase: type) -> None:
    assert clase.__name__.endswith(("ada", "ido", "ado"))


def test_an_event_cannot_be_changed_after_it_is_recorded() -> None:
    evento = CampanaActivada("c-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        evento.campana_id = "c-2"  # type: ignore[misc]


def test_events_have_value_equality_and_no_hidden_ids_or_timestamps() -> None:
    anterior, nuevo = Presupuesto(Decimal("1"), "USD"), Presupuesto(Decimal("2"), "USD")
    assert PresupuestoAjustado("c-1", anterior, nuevo) == PresupuestoAjustado(
        "c-1", anterior, nuevo
    )
    assert [f.name for f in dataclasses.fields(PresupuestoAjustado)] == [
        "campana_id",
        "anterior",
        "nuevo",
    ]


def test_building_a_command_never_validates_so_a_worker_cannot_fail_there() -> None:
    comando = CrearCampana(
        campana_id="not a valid id",
        nombre="",
        tipo="Nope",
        fecha_inicio=datetime(2025, 2, 1, tzinfo=UTC),
        fecha_fin=datetime(2025, 1, 1),
        monto=Decimal("-1"),
        divisa="usd",
        marca_id="",
        participantes=(DatosParticipante("", "", ""),),
        estado="finished",
    )
    assert comando.estado == "finished"


def test_a_create_command_defaults_to_draft_and_no_participants() -> None:
    comando = CrearCampana(
        campana_id="c-1",
        nombre="N",
        tipo="Mixed",
        fecha_inicio=datetime(2025, 1, 1, tzinfo=UTC),
        fecha_fin=datetime(2025, 2, 1, tzinfo=UTC),
        monto=Decimal("1"),
        divisa="USD",
        marca_id="b-1",
    )
    assert (comando.estado, comando.participantes) == ("draft", ())
