"""The lifecycle: draft -> active <-> paused -> finished, and nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain import (
    Campana,
    CampanaActivada,
    CampanaFinalizada,
    CampanaPausada,
    CampanaReanudada,
    ErrorCode,
    EstadoCampana,
    EventoDominio,
    StateError,
)

Comprobar = Callable[..., None]
CampanaEn = Callable[..., Campana]

# Written out by hand (not read from domain.TRANSICIONES) so that changing the rules breaks it.
LEGALES: dict[tuple[str, str], tuple[str, type[EventoDominio]]] = {
    ("activar", "draft"): ("active", CampanaActivada),
    ("pausar", "active"): ("paused", CampanaPausada),
    ("reanudar", "paused"): ("active", CampanaReanudada),
    ("finalizar", "active"): ("finished", CampanaFinalizada),
    ("finalizar", "paused"): ("finished", CampanaFinalizada),
}
OPERACIONES = ("activar", "pausar", "reanudar", "finalizar")
ESTADOS = ("draft", "active", "paused", "finished")
ILEGALES = [(op, e) for op in OPERACIONES for e in ESTADOS if (op, e) not in LEGALES]


@pytest.mark.parametrize(("operacion", "desde"), sorted(LEGALES))
def test_each_allowed_transition_changes_estado_and_records_its_event(
    campana_en: CampanaEn, operacion: str, desde: str
) -> None:
    campana = campana_en(desde)
    hacia, evento = LEGALES[(operacion, desde)]

    getattr(campana, operacion)()

    assert campana.estado == EstadoCampana(hacia)
    assert campana.eventos == [evento(campana_id="c-1")]


def test_there_are_eleven_illegal_transitions() -> None:
    assert len(ILEGALES) == 11


@pytest.mark.parametrize(("operacion", "desde"), ILEGALES)
def test_every_other_transition_is_rejected_and_changes_nothing(
    campana_en: CampanaEn, comprobar_error: Comprobar, operacion: str, desde: str
) -> None:
    campana = campana_en(desde)

    with pytest.raises(StateError) as error:
        getattr(campana, operacion)()

    comprobar_error(
        error.value, ErrorCode.ILLEGAL_TRANSITION, "estado", operacion, f"estado {desde!r}"
    )
    assert campana.estado == EstadoCampana(desde)
    assert campana.eventos == []


def test_the_rejection_says_which_estados_the_operation_expects(
    campana_en: CampanaEn, comprobar_error: Comprobar
) -> None:
    with pytest.raises(StateError) as error:
        campana_en("draft").finalizar()
    comprobar_error(error.value, ErrorCode.ILLEGAL_TRANSITION, "estado", "'active' or 'paused'")


def test_a_campaign_can_pause_and_resume_many_times_then_finish(campana_en: CampanaEn) -> None:
    campana = campana_en("active")
    for _ in range(3):
        campana.pausar()
        campana.reanudar()
    campana.finalizar()
    assert [type(e) for e in campana.extraer_eventos()] == [
        *[CampanaPausada, CampanaReanudada] * 3,
        CampanaFinalizada,
    ]
    assert campana.estado is EstadoCampana.FINISHED


def test_extracting_events_returns_them_oldest_first_and_clears_them(
    campana_en: CampanaEn,
) -> None:
    campana = campana_en("draft")
    campana.activar()
    campana.pausar()
    assert campana.extraer_eventos() == [CampanaActivada("c-1"), CampanaPausada("c-1")]
    assert campana.eventos == []
    assert campana.extraer_eventos() == []


def test_version_is_left_to_the_repository(campana_en: CampanaEn) -> None:
    campana = campana_en("draft")
    campana.activar()
    assert campana.version == 0
