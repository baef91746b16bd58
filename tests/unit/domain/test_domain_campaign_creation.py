"""Creating a campaign: the seed's example, the initial state and every creation invariant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from domain import (
    Campana,
    CampanaCreada,
    DatosParticipante,
    DomainError,
    ErrorCode,
    EstadoCampana,
    Participante,
    Presupuesto,
    RuleViolation,
    TipoCampana,
    TipoParticipante,
    ValidationError,
)

Comprobar = Callable[..., None]
Crear = Callable[..., Campana]

# The dates `crear` uses (see conftest.py).
INICIO = datetime(2025, 9, 10, tzinfo=UTC)
FIN = datetime(2025, 12, 10, 23, 59, 59, tzinfo=UTC)


def seed_readme_example() -> dict[str, Any]:
    """The create body of the seed README, converted by hand into typed values (dates become
    `datetime`s, the amount a `Decimal`); everything else, free-text profiles included, as is."""
    return {
        "id": "c-12345",
        "nombre": "Campaña Moda Primavera 2025",
        "tipo": "Influencer",
        "estado": "draft",
        "fecha_inicio": datetime.fromisoformat("2025-09-10T00:00:00Z"),
        "fecha_fin": datetime.fromisoformat("2025-12-10T23:59:59Z"),
        "presupuesto": Presupuesto(Decimal("15000.00"), "USD"),
        "marca_id": "b-12345",
        "participantes": [
            DatosParticipante(
                "p-98765",
                "Influencer",
                "Alice Doe",
                "Influencer de moda con 200k seguidores",
            ),
            DatosParticipante(
                "p-54321",
                "Affiliate",
                "Blog Moda Trends",
                "Sitio web con 50k visitas mensuales",
            ),
        ],
    }


def test_the_seed_example_as_written_creates_a_valid_draft_campaign_with_both_participants() -> (
    None
):
    campana = Campana.crear(**seed_readme_example())

    assert campana.id == "c-12345"
    assert campana.nombre == "Campaña Moda Primavera 2025"
    assert campana.tipo is TipoCampana.INFLUENCER
    assert campana.estado is EstadoCampana.DRAFT
    assert campana.fecha_inicio == datetime(2025, 9, 10, tzinfo=UTC)
    assert campana.fecha_fin == datetime(2025, 12, 10, 23, 59, 59, tzinfo=UTC)
    assert campana.presupuesto == Presupuesto(Decimal("15000.00"), "USD")
    assert campana.marca_id == "b-12345"
    assert [(p.id, p.tipo, p.nombre, p.informacion_perfil) for p in campana.participantes] == [
        (
            "p-98765",
            TipoParticipante.INFLUENCER,
            "Alice Doe",
            "Influencer de moda con 200k seguidores",
        ),
        (
            "p-54321",
            TipoParticipante.AFFILIATE,
            "Blog Moda Trends",
            "Sitio web con 50k visitas mensuales",
        ),
    ]
    [creada] = campana.eventos
    assert isinstance(creada, CampanaCreada)
    assert creada.participantes == campana.participantes
    assert all(type(p.informacion_perfil) is str for p in creada.participantes)


def test_a_new_campaign_starts_in_draft_at_version_0_with_a_full_snapshot_event(
    crear: Crear,
) -> None:
    campana = crear()

    assert campana.estado is EstadoCampana.DRAFT
    assert campana.version == 0
    assert campana.eventos == [
        CampanaCreada(
            campana_id="c-1",
            nombre="Campaña Moda Primavera 2025",
            tipo=TipoCampana.MIXED,
            estado=EstadoCampana.DRAFT,
            fecha_inicio=INICIO,
            fecha_fin=FIN,
            presupuesto=Presupuesto(Decimal("15000.00"), "USD"),
            marca_id="b-1",
            participantes=campana.participantes,
        )
    ]
    assert [p.id for p in campana.participantes] == ["p-1", "p-2"]


def test_a_campaign_may_start_without_participants(crear: Crear) -> None:
    assert crear(participantes=[]).participantes == ()


@pytest.mark.parametrize(
    ("cambios", "error_type", "code", "field", "fragmento"),
    [
        ({"id": "c 1"}, ValidationError, ErrorCode.INVALID_ID, "id", "'c 1'"),
        ({"id": ""}, ValidationError, ErrorCode.INVALID_ID, "id", "''"),
        ({"marca_id": "b/1"}, ValidationError, ErrorCode.INVALID_ID, "marca_id", "'b/1'"),
        ({"nombre": "  "}, ValidationError, ErrorCode.INVALID_NAME, "nombre", "'  '"),
        ({"nombre": "n" * 201}, ValidationError, ErrorCode.INVALID_NAME, "nombre", "200"),
        ({"tipo": "Brand"}, ValidationError, ErrorCode.INVALID_TYPE, "tipo", "'Brand'"),
        ({"tipo": "mixed"}, ValidationError, ErrorCode.INVALID_TYPE, "tipo", "'Mixed'"),
        ({"estado": "bogus"}, ValidationError, ErrorCode.INVALID_STATUS, "estado", "'bogus'"),
        (
            {"fecha_inicio": datetime(2025, 9, 10)},
            ValidationError,
            ErrorCode.NAIVE_DATETIME,
            "fecha_inicio",
            "2025-09-10T00:00:00",
        ),
        (
            {"fecha_fin": datetime(2025, 12, 10)},
            ValidationError,
            ErrorCode.NAIVE_DATETIME,
            "fecha_fin",
            "2025-12-10T00:00:00",
        ),
        (
            {"fecha_inicio": "2025-09-10T00:00:00Z"},
            ValidationError,
            ErrorCode.INVALID_DATETIME,
            "fecha_inicio",
            "'2025-09-10T00:00:00Z'",
        ),
        (
            {"fecha_fin": date(2025, 12, 10)},
            ValidationError,
            ErrorCode.INVALID_DATETIME,
            "fecha_fin",
            "datetime.date(2025, 12, 10)",
        ),
    ],
)
def test_invalid_campaign_fields_are_rejected_with_their_code_and_field(
    crear: Crear,
    comprobar_error: Comprobar,
    cambios: dict[str, Any],
    error_type: type[DomainError],
    code: ErrorCode,
    field: str,
    fragmento: str,
) -> None:
    with pytest.raises(error_type) as error:
        crear(**cambios)
    comprobar_error(error.value, code, field, fragmento)


@pytest.mark.parametrize("estado", ["active", "paused", "finished"])
def test_a_campaign_cannot_be_created_in_any_estado_but_draft(
    crear: Crear, comprobar_error: Comprobar, estado: str
) -> None:
    with pytest.raises(ValidationError) as error:
        crear(estado=estado)
    comprobar_error(
        error.value, ErrorCode.INVALID_INITIAL_STATUS, "estado", repr(estado), "'draft'"
    )


@pytest.mark.parametrize(
    "fin", [INICIO, INICIO - timedelta(seconds=1), INICIO.astimezone(timezone(timedelta(hours=-5)))]
)
def test_a_campaign_must_end_strictly_after_it_starts(
    crear: Crear, comprobar_error: Comprobar, fin: datetime
) -> None:
    with pytest.raises(ValidationError) as error:
        crear(fecha_fin=fin)
    comprobar_error(
        error.value, ErrorCode.INVALID_DATE_RANGE, "fecha_fin", fin.isoformat(), "fecha_inicio"
    )


def test_dates_in_different_timezones_are_compared_as_instants(crear: Crear) -> None:
    un_segundo_despues = (INICIO + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=-5)))
    assert crear(fecha_fin=un_segundo_despues).fecha_fin == un_segundo_despues


def test_participant_ids_must_be_unique_within_a_campaign(
    crear: Crear, comprobar_error: Comprobar
) -> None:
    participantes = [
        DatosParticipante("p-1", "Influencer", "A"),
        DatosParticipante("p-2", "Influencer", "B"),
        DatosParticipante("p-1", "Affiliate", "C"),
    ]
    with pytest.raises(RuleViolation) as error:
        crear(participantes=participantes)
    comprobar_error(error.value, ErrorCode.DUPLICATE_PARTICIPANT, "participantes[2].id", "'p-1'")


@pytest.mark.parametrize("tipo", ["Influencer", "Affiliate", "Mixed"])
def test_the_participants_tipo_is_independent_of_the_campaigns_tipo(
    crear: Crear, tipo: str
) -> None:
    participantes = [
        DatosParticipante("p-1", "Influencer", "A"),
        DatosParticipante("p-2", "Affiliate", "B"),
    ]
    campana = crear(tipo=tipo, participantes=participantes)
    assert [p.tipo for p in campana.participantes] == [
        TipoParticipante.INFLUENCER,
        TipoParticipante.AFFILIATE,
    ]


def test_invalid_participant_data_is_reported_with_its_index(
    crear: Crear, comprobar_error: Comprobar
) -> None:
    participantes = [DatosParticipante("p-1", "Influencer", "A"), DatosParticipante("p-2", "", "B")]
    with pytest.raises(ValidationError) as error:
        crear(participantes=participantes)
    comprobar_error(error.value, ErrorCode.INVALID_TYPE, "participantes[1].tipo", "''")


def test_a_free_text_profile_over_1000_characters_is_reported_with_its_index(
    crear: Crear, comprobar_error: Comprobar
) -> None:
    participantes = [
        DatosParticipante("p-1", "Influencer", "A", "x" * 1000),
        DatosParticipante("p-2", "Affiliate", "B", "x" * 1001),
    ]
    with pytest.raises(ValidationError) as error:
        crear(participantes=participantes)
    comprobar_error(
        error.value,
        ErrorCode.INVALID_PROFILE,
        "participantes[1].informacion_perfil",
        "at most 1000",
        "1001",
    )


def test_a_stored_campaign_is_rebuilt_in_any_estado_without_recording_events() -> None:
    campana = Campana(
        id="c-1",
        nombre="Rebuilt",
        tipo="Affiliate",
        estado="paused",
        fecha_inicio=INICIO,
        fecha_fin=FIN,
        presupuesto=Presupuesto(Decimal("10"), "COP"),
        marca_id="b-1",
        participantes=[
            Participante.desde(DatosParticipante("p-1", "Affiliate", "A")),
            Participante.desde(DatosParticipante("p-2", "Influencer", "B", "texto")),
        ],
        version=7,
    )
    assert (campana.estado, campana.version, campana.eventos) == (EstadoCampana.PAUSED, 7, [])
    assert [p.id for p in campana.participantes] == ["p-1", "p-2"]


def test_rebuilding_a_stored_campaign_still_checks_the_invariants(
    comprobar_error: Comprobar,
) -> None:
    with pytest.raises(RuleViolation) as error:
        Campana(
            id="c-1",
            nombre="Rebuilt",
            tipo="Affiliate",
            estado="active",
            fecha_inicio=INICIO,
            fecha_fin=FIN,
            presupuesto=Presupuesto(Decimal("10"), "COP"),
            marca_id="b-1",
            participantes=[
                Participante.desde(DatosParticipante("p-1", "Affiliate", "A")),
                Participante.desde(DatosParticipante("p-1", "Influencer", "B")),
            ],
        )
    comprobar_error(error.value, ErrorCode.DUPLICATE_PARTICIPANT, "participantes[1].id", "'p-1'")
