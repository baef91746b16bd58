"""Participants join and leave a campaign that is not finished."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain import (
    Campana,
    DatosParticipante,
    ErrorCode,
    ParticipanteAgregado,
    ParticipanteRetirado,
    RuleViolation,
    StateError,
    TipoParticipante,
    ValidationError,
)

Comprobar = Callable[..., None]
CampanaEn = Callable[..., Campana]
NUEVO = DatosParticipante("p-3", "Influencer", "Carol", {"seguidores": 10_000})


@pytest.mark.parametrize("estado", ["draft", "active", "paused"])
def test_a_participant_joins_a_campaign_that_is_not_finished(
    campana_en: CampanaEn, estado: str
) -> None:
    campana = campana_en(estado)

    participante = campana.agregar_participante(NUEVO)

    assert participante.tipo is TipoParticipante.INFLUENCER
    assert [p.id for p in campana.participantes] == ["p-1", "p-2", "p-3"]
    assert campana.participante("p-3") == participante
    assert campana.eventos == [ParticipanteAgregado("c-1", participante)]


@pytest.mark.parametrize("estado", ["draft", "active", "paused"])
def test_a_participant_leaves_a_campaign_that_is_not_finished(
    campana_en: CampanaEn, estado: str
) -> None:
    campana = campana_en(estado)

    campana.retirar_participante("p-1")

    assert [p.id for p in campana.participantes] == ["p-2"]
    assert campana.participante("p-1") is None
    assert campana.eventos == [ParticipanteRetirado("c-1", "p-1")]


def test_a_participant_who_left_may_join_again(campana_en: CampanaEn) -> None:
    campana = campana_en("active")
    campana.retirar_participante("p-1")
    campana.agregar_participante(DatosParticipante("p-1", "Influencer", "Alice"))
    assert [p.id for p in campana.participantes] == ["p-2", "p-1"]


def test_a_participant_id_already_in_the_campaign_cannot_join(
    campana_en: CampanaEn, comprobar_error: Comprobar
) -> None:
    campana = campana_en("active")
    antes = campana.participantes

    with pytest.raises(RuleViolation) as error:
        campana.agregar_participante(DatosParticipante("p-2", "Affiliate", "Otro"))

    comprobar_error(error.value, ErrorCode.DUPLICATE_PARTICIPANT, "participante.id", "'p-2'")
    assert (campana.participantes, campana.eventos) == (antes, [])


@pytest.mark.parametrize("tipo", ["Influencer", "Affiliate", "Mixed"])
@pytest.mark.parametrize("tipo_participante", ["Influencer", "Affiliate"])
def test_a_participant_of_either_kind_joins_a_campaign_of_any_tipo(
    campana_en: CampanaEn, tipo: str, tipo_participante: str
) -> None:
    campana = campana_en("active", tipo=tipo, participantes=[])

    participante = campana.agregar_participante(DatosParticipante("p-9", tipo_participante, "Z"))

    assert participante.tipo.value == tipo_participante
    assert campana.eventos == [ParticipanteAgregado("c-1", participante)]


def test_a_participant_with_a_free_text_profile_joins_and_the_event_carries_it_verbatim(
    campana_en: CampanaEn,
) -> None:
    campana = campana_en("active")
    texto = "  Sitio web con 50k visitas mensuales\n"

    participante = campana.agregar_participante(
        DatosParticipante("p-9", "Affiliate", "Blog", texto)
    )

    assert participante.informacion_perfil == texto
    assert type(participante.informacion_perfil) is str
    [agregado] = campana.eventos
    assert isinstance(agregado, ParticipanteAgregado)
    assert agregado.participante.informacion_perfil == texto


def test_a_free_text_profile_over_1000_characters_is_rejected_under_participante(
    campana_en: CampanaEn, comprobar_error: Comprobar
) -> None:
    campana = campana_en("active")
    with pytest.raises(ValidationError) as error:
        campana.agregar_participante(DatosParticipante("p-9", "Affiliate", "Z", "x" * 1001))
    comprobar_error(
        error.value, ErrorCode.INVALID_PROFILE, "participante.informacion_perfil", "at most 1000"
    )
    assert (len(campana.participantes), campana.eventos) == (2, [])


def test_invalid_participant_data_is_rejected_under_participante(
    campana_en: CampanaEn, comprobar_error: Comprobar
) -> None:
    campana = campana_en("active")
    with pytest.raises(ValidationError) as error:
        campana.agregar_participante(DatosParticipante("p-9", "Influencer", "Z", {"k": None}))  # type: ignore[dict-item]
    comprobar_error(
        error.value, ErrorCode.INVALID_PROFILE, "participante.informacion_perfil['k']", "None"
    )
    assert len(campana.participantes) == 2


def test_removing_an_unknown_participant_is_rejected_listing_the_known_ones(
    campana_en: CampanaEn, comprobar_error: Comprobar
) -> None:
    campana = campana_en("active")

    with pytest.raises(RuleViolation) as error:
        campana.retirar_participante("p-404")

    comprobar_error(
        error.value, ErrorCode.UNKNOWN_PARTICIPANT, "participante_id", "'p-404'", "'p-1', 'p-2'"
    )
    assert (len(campana.participantes), campana.eventos) == (2, [])


def test_removing_from_a_campaign_without_participants_says_it_has_none(
    campana_en: CampanaEn, comprobar_error: Comprobar
) -> None:
    with pytest.raises(RuleViolation) as error:
        campana_en("draft", participantes=[]).retirar_participante("p-1")
    comprobar_error(error.value, ErrorCode.UNKNOWN_PARTICIPANT, "participante_id", "has none")


def test_removing_with_a_malformed_id_is_rejected_as_invalid(
    campana_en: CampanaEn, comprobar_error: Comprobar
) -> None:
    with pytest.raises(ValidationError) as error:
        campana_en("active").retirar_participante("p 1")
    comprobar_error(error.value, ErrorCode.INVALID_ID, "participante_id", "'p 1'")


def test_no_participant_joins_a_finished_campaign(
    campana_en: CampanaEn, comprobar_error: Comprobar
) -> None:
    campana = campana_en("finished")

    with pytest.raises(StateError) as error:
        campana.agregar_participante(NUEVO)

    comprobar_error(
        error.value, ErrorCode.CAMPAIGN_FINISHED, "estado", "'finished'", "agregar_participante"
    )
    assert (len(campana.participantes), campana.eventos) == (2, [])


def test_no_participant_leaves_a_finished_campaign(
    campana_en: CampanaEn, comprobar_error: Comprobar
) -> None:
    campana = campana_en("finished")

    with pytest.raises(StateError) as error:
        campana.retirar_participante("p-1")

    comprobar_error(error.value, ErrorCode.CAMPAIGN_FINISHED, "estado", "retirar_participante")
    assert (len(campana.participantes), campana.eventos) == (2, [])


def test_the_participants_view_cannot_be_used_to_change_the_campaign(
    campana_en: CampanaEn,
) -> None:
    campana = campana_en("active")
    assert isinstance(campana.participantes, tuple)
    with pytest.raises(AttributeError):
        campana.participantes = ()  # type: ignore[misc]
