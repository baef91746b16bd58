"""Fixtures for the domain unit tests: a campaign builder and an error checker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain import Campana, DatosParticipante, DomainError, ErrorCode, Presupuesto

INICIO = datetime(2025, 9, 10, tzinfo=UTC)
FIN = datetime(2025, 12, 10, 23, 59, 59, tzinfo=UTC)

# How to reach each estado from draft.
CAMINOS: dict[str, tuple[str, ...]] = {
    "draft": (),
    "active": ("activar",),
    "paused": ("activar", "pausar"),
    "finished": ("activar", "finalizar"),
}


def argumentos_validos() -> dict[str, Any]:
    return {
        "id": "c-1",
        "nombre": "Campaña Moda Primavera 2025",
        "tipo": "Mixed",
        "fecha_inicio": INICIO,
        "fecha_fin": FIN,
        "presupuesto": Presupuesto(Decimal("15000.00"), "USD"),
        "marca_id": "b-1",
        "participantes": [
            DatosParticipante("p-1", "Influencer", "Alice Doe", {"seguidores": 200_000}),
            DatosParticipante("p-2", "Affiliate", "Blog Moda Trends"),
        ],
    }


@pytest.fixture
def crear() -> Callable[..., Campana]:
    """`crear(**cambios)`: `Campana.crear` with valid arguments, overridden by `cambios`."""

    def _crear(**cambios: Any) -> Campana:
        return Campana.crear(**{**argumentos_validos(), **cambios})

    return _crear


@pytest.fixture
def campana_en(crear: Callable[..., Campana]) -> Callable[..., Campana]:
    """`campana_en(estado, **cambios)`: a valid campaign driven to `estado`, with no events."""

    def _en(estado: str, **cambios: Any) -> Campana:
        campana = crear(**cambios)
        for operacion in CAMINOS[estado]:
            getattr(campana, operacion)()
        campana.extraer_eventos()
        return campana

    return _en


@pytest.fixture
def comprobar_error() -> Callable[..., None]:
    """`comprobar_error(error, code, field, *fragmentos)`: the code, the field, a message that
    starts with the field, and the fragments (the bad value, what was expected) in it."""

    def _comprobar(error: DomainError, code: ErrorCode, field: str, *fragmentos: str) -> None:
        assert error.code is code, error
        assert error.field == field, error
        assert str(error).startswith(f"{field}: "), error
        for fragmento in fragmentos:
            assert fragmento in str(error), (fragmento, str(error))

    return _comprobar
