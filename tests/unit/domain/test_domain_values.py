"""Value objects: ids, names, Presupuesto, the currency set, Participante and its profile."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain import (
    DIVISAS_ISO_4217,
    DatosParticipante,
    ErrorCode,
    Participante,
    Perfil,
    Presupuesto,
    TipoParticipante,
    ValidationError,
)
from domain.validation import validar_fecha, validar_id, validar_nombre

Comprobar = Callable[..., None]


@pytest.mark.parametrize("valor", ["c-12345", "C_1.a:b-2", "x", "a" * 64])
def test_ids_of_allowed_ascii_characters_up_to_64_long_are_accepted(valor: str) -> None:
    assert validar_id(valor, "id") == valor


@pytest.mark.parametrize(
    ("valor", "mostrado"),
    [
        ("", "''"),
        ("c 1", "'c 1'"),
        (" c-1", "' c-1'"),
        ("c-1\n", "'c-1\\n'"),
        ("c/1", "'c/1'"),
        ("campaña", "'campaña'"),
        ("a" * 65, "'aaaa"),
        (12345, "12345"),
        (None, "None (NoneType)"),
    ],
)
def test_malformed_ids_are_rejected_naming_field_and_value(
    valor: object, mostrado: str, comprobar_error: Comprobar
) -> None:
    with pytest.raises(ValidationError) as error:
        validar_id(valor, "participantes[1].id")
    comprobar_error(
        error.value, ErrorCode.INVALID_ID, "participantes[1].id", mostrado, "[A-Za-z0-9_.:-]"
    )


def test_names_are_stored_stripped() -> None:
    assert validar_nombre("  Campaña Moda  ", "nombre") == "Campaña Moda"


def test_a_name_of_exactly_200_characters_is_accepted() -> None:
    assert validar_nombre("n" * 200, "nombre") == "n" * 200


@pytest.mark.parametrize(
    ("valor", "esperado"),
    [
        ("", "non-blank"),
        ("   \t ", "non-blank"),
        ("n" * 201, "at most 200"),
        ("línea\notra", "control characters"),
        (42, "text name"),
    ],
)
def test_blank_long_multiline_or_non_text_names_are_rejected(
    valor: object, esperado: str, comprobar_error: Comprobar
) -> None:
    with pytest.raises(ValidationError) as error:
        validar_nombre(valor, "nombre")
    comprobar_error(error.value, ErrorCode.INVALID_NAME, "nombre", esperado)


def test_a_date_that_is_not_a_datetime_is_rejected(comprobar_error: Comprobar) -> None:
    with pytest.raises(ValidationError) as error:
        validar_fecha(date(2025, 1, 1), "fecha_inicio")
    comprobar_error(error.value, ErrorCode.INVALID_DATETIME, "fecha_inicio", "2025, 1, 1")


def test_a_naive_datetime_is_rejected(comprobar_error: Comprobar) -> None:
    with pytest.raises(ValidationError) as error:
        validar_fecha(datetime(2025, 1, 1), "fecha_fin")
    comprobar_error(
        error.value, ErrorCode.NAIVE_DATETIME, "fecha_fin", "2025-01-01T00:00:00", "timezone"
    )


def test_a_budget_holds_a_positive_decimal_in_a_known_currency() -> None:
    presupuesto = Presupuesto(Decimal("0.01"), "EUR")
    assert (presupuesto.monto, presupuesto.divisa) == (Decimal("0.01"), "EUR")
    assert str(presupuesto) == "0.01 EUR"


@pytest.mark.parametrize(
    ("monto", "mostrado"),
    [
        (Decimal("0"), "Decimal('0')"),
        (Decimal("-0.01"), "Decimal('-0.01')"),
        (Decimal("NaN"), "Decimal('NaN')"),
        (Decimal("Infinity"), "Decimal('Infinity')"),
        (15000.0, "15000.0"),
        (15000, "15000"),
        ("15000", "'15000'"),
    ],
)
def test_a_budget_amount_must_be_a_finite_decimal_above_zero(
    monto: object, mostrado: str, comprobar_error: Comprobar
) -> None:
    with pytest.raises(ValidationError) as error:
        Presupuesto(monto, "USD")  # type: ignore[arg-type]
    comprobar_error(
        error.value, ErrorCode.INVALID_BUDGET, "presupuesto.monto", mostrado, "greater than 0"
    )


@pytest.mark.parametrize("divisa", ["usd", "US", "USDX", "ABC", "XAU", "XXX", "HRK", "", None])
def test_a_budget_currency_must_be_an_active_upper_case_iso_4217_code(
    divisa: object, comprobar_error: Comprobar
) -> None:
    with pytest.raises(ValidationError) as error:
        Presupuesto(Decimal("1"), divisa)  # type: ignore[arg-type]
    comprobar_error(
        error.value, ErrorCode.INVALID_CURRENCY, "presupuesto.divisa", repr(divisa), "ISO-4217"
    )


def test_the_currency_set_holds_common_currencies_as_three_upper_case_letters() -> None:
    assert {"USD", "EUR", "COP", "MXN", "GBP", "JPY", "BRL"} <= DIVISAS_ISO_4217
    assert all(len(c) == 3 and c.isascii() and c.isupper() for c in DIVISAS_ISO_4217)
    assert isinstance(DIVISAS_ISO_4217, frozenset)


def test_budgets_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Presupuesto(Decimal("1"), "USD").monto = Decimal("2")  # type: ignore[misc]


def test_a_participant_built_from_command_data_is_validated_and_normalized() -> None:
    datos = DatosParticipante("p-1", "Influencer", "  Alice  ", {"seguidores": 200_000})
    participante = Participante.desde(datos)
    assert participante.tipo is TipoParticipante.INFLUENCER
    assert participante.nombre == "Alice"
    assert participante.informacion_perfil == {"seguidores": 200_000}
    assert isinstance(participante.informacion_perfil, Perfil)


@pytest.mark.parametrize(
    ("datos", "code", "field"),
    [
        (DatosParticipante("p 1", "Influencer", "A"), ErrorCode.INVALID_ID, "participantes[3].id"),
        (DatosParticipante("p-1", "Mixed", "A"), ErrorCode.INVALID_TYPE, "participantes[3].tipo"),
        (
            DatosParticipante("p-1", "influencer", "A"),
            ErrorCode.INVALID_TYPE,
            "participantes[3].tipo",
        ),
        (
            DatosParticipante("p-1", "Affiliate", " "),
            ErrorCode.INVALID_NAME,
            "participantes[3].nombre",
        ),
    ],
)
def test_participant_errors_name_the_path_given(
    datos: DatosParticipante, code: ErrorCode, field: str, comprobar_error: Comprobar
) -> None:
    with pytest.raises(ValidationError) as error:
        Participante.desde(datos, "participantes[3]")
    comprobar_error(error.value, code, field)


def test_a_participant_built_directly_is_validated_too(comprobar_error: Comprobar) -> None:
    with pytest.raises(ValidationError) as error:
        Participante("p-1", "Boss", "A")  # type: ignore[arg-type]
    comprobar_error(error.value, ErrorCode.INVALID_TYPE, "participante.tipo", "'Boss'")


@pytest.mark.parametrize(
    ("perfil", "field", "fragmento"),
    [
        (None, "participante.informacion_perfil", "free text"),
        (42, "participante.informacion_perfil", "mapping"),
        (b"Influencer de moda", "participante.informacion_perfil", "bytes"),
        (["Influencer de moda"], "participante.informacion_perfil", "list"),
        ("x" * 1001, "participante.informacion_perfil", "at most 1000"),
        ({"": "x"}, "participante.informacion_perfil", "non-blank"),
        ({1: "x"}, "participante.informacion_perfil", "got key 1"),
        ({"k" * 65: "x"}, "participante.informacion_perfil", "at most 64"),
        ({"a": None}, "participante.informacion_perfil['a']", "None"),
        ({"a": [1]}, "participante.informacion_perfil['a']", "[1]"),
        ({"a": float("nan")}, "participante.informacion_perfil['a']", "nan"),
        ({"a": "x" * 1001}, "participante.informacion_perfil['a']", "at most 1000"),
        ({f"k{i}": i for i in range(51)}, "participante.informacion_perfil", "at most 50"),
    ],
)
def test_profile_information_must_be_short_free_text_or_a_small_mapping_of_text_to_scalars(
    perfil: object, field: str, fragmento: str, comprobar_error: Comprobar
) -> None:
    with pytest.raises(ValidationError) as error:
        Participante.desde(DatosParticipante("p-1", "Influencer", "A", perfil))  # type: ignore[arg-type]
    comprobar_error(error.value, ErrorCode.INVALID_PROFILE, field, fragmento)


@pytest.mark.parametrize(
    "texto",
    [
        "Influencer de moda con 200k seguidores",
        "",
        "  espacios y\nvarias líneas\t ",
        "x" * 1000,
    ],
)
def test_free_text_profile_information_is_kept_verbatim_as_a_str(texto: str) -> None:
    participante = Participante.desde(DatosParticipante("p-1", "Influencer", "A", texto))
    assert participante.informacion_perfil == texto
    assert type(participante.informacion_perfil) is str
    assert Participante("p-1", TipoParticipante.INFLUENCER, "A", texto) == participante


def test_free_text_over_1000_characters_names_the_participants_path(
    comprobar_error: Comprobar,
) -> None:
    with pytest.raises(ValidationError) as error:
        Participante.desde(
            DatosParticipante("p-1", "Affiliate", "A", "é" * 1001), "participantes[2]"
        )
    comprobar_error(
        error.value,
        ErrorCode.INVALID_PROFILE,
        "participantes[2].informacion_perfil",
        "at most 1000",
        "1001",
    )


def test_free_text_and_a_mapping_are_different_profiles() -> None:
    texto = Participante.desde(DatosParticipante("p-1", "Affiliate", "A", ""))
    mapa = Participante.desde(DatosParticipante("p-1", "Affiliate", "A"))
    assert mapa.informacion_perfil == Perfil()
    assert texto != mapa


def test_profile_information_is_copied_so_later_changes_to_the_source_do_not_leak() -> None:
    fuente: dict[str, str | int | float | bool] = {"red": "instagram", "verificada": True}
    participante = Participante.desde(DatosParticipante("p-1", "Influencer", "A", fuente))
    fuente["red"] = "tiktok"
    assert isinstance(participante.informacion_perfil, Perfil)
    assert participante.informacion_perfil["red"] == "instagram"


def test_profile_information_is_read_only() -> None:
    perfil = Perfil({"a": 1})
    mutaciones: list[Callable[[], object]] = [
        lambda: perfil.__setitem__("a", 2),
        lambda: perfil.__delitem__("a"),
        lambda: perfil.update(a=2),
        lambda: perfil.pop("a"),
        perfil.popitem,
        perfil.clear,
        lambda: perfil.setdefault("b", 1),
    ]
    for mutar in mutaciones:
        with pytest.raises(TypeError, match="read-only"):
            mutar()
    assert perfil == {"a": 1}


@pytest.mark.parametrize(
    "perfil", [{"visitas": 50_000, "nicho": "moda"}, "Sitio web con 50k visitas mensuales"]
)
def test_participants_are_hashable_and_survive_asdict_json_pickle_and_deepcopy(
    perfil: str | dict[str, int | str],
) -> None:
    participante = Participante.desde(DatosParticipante("p-1", "Affiliate", "Blog", perfil))
    assert hash(participante) == hash(copy.deepcopy(participante))
    assert pickle.loads(pickle.dumps(participante)) == participante
    assert type(pickle.loads(pickle.dumps(participante)).informacion_perfil) is type(
        participante.informacion_perfil
    )
    como_dict = dataclasses.asdict(participante)
    assert json.loads(json.dumps(como_dict)) == {
        "id": "p-1",
        "tipo": "Affiliate",
        "nombre": "Blog",
        "informacion_perfil": perfil,
    }


def test_a_campaign_date_may_use_any_timezone() -> None:
    assert validar_fecha(datetime(2025, 1, 1, tzinfo=UTC), "fecha_inicio").tzinfo is UTC
