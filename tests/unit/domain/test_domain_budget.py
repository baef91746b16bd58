"""Adjusting the budget: a new amount > 0, same currency, not once finished."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from domain import (
    Campana,
    ErrorCode,
    Presupuesto,
    PresupuestoAjustado,
    RuleViolation,
    StateError,
    ValidationError,
)

Comprobar = Callable[..., None]
CampanaEn = Callable[..., Campana]
ORIGINAL = Presupuesto(Decimal("15000.00"), "USD")


@pytest.mark.parametrize("estado", ["draft", "active", "paused"])
def test_the_budget_is_adjusted_in_any_estado_but_finished(
    campana_en: CampanaEn, estado: str
) -> None:
    campana = campana_en(estado)
    nuevo = Presupuesto(Decimal("20000.50"), "USD")

    campana.ajustar_presupuesto(nuevo)

    assert campana.presupuesto == nuevo
    assert campana.eventos == [PresupuestoAjustado("c-1", anterior=ORIGINAL, nuevo=nuevo)]


def test_the_budget_may_go_down(campana_en: CampanaEn) -> None:
    campana = campana_en("active")
    campana.ajustar_presupuesto(Presupuesto(Decimal("0.01"), "USD"))
    assert campana.presupuesto.monto == Decimal("0.01")


def test_the_budget_currency_cannot_change(
    campana_en: CampanaEn, comprobar_error: Comprobar
) -> None:
    campana = campana_en("active")

    with pytest.raises(RuleViolation) as error:
        campana.ajustar_presupuesto(Presupuesto(Decimal("15000.00"), "EUR"))

    comprobar_error(error.value, ErrorCode.CURRENCY_CHANGE, "presupuesto.divisa", "'USD'", "'EUR'")
    assert (campana.presupuesto, campana.eventos) == (ORIGINAL, [])


def test_the_budget_of_a_finished_campaign_cannot_change(
    campana_en: CampanaEn, comprobar_error: Comprobar
) -> None:
    campana = campana_en("finished")

    with pytest.raises(StateError) as error:
        campana.ajustar_presupuesto(Presupuesto(Decimal("1"), "USD"))

    comprobar_error(error.value, ErrorCode.CAMPAIGN_FINISHED, "estado", "ajustar_presupuesto")
    assert (campana.presupuesto, campana.eventos) == (ORIGINAL, [])


def test_adjusting_to_the_same_budget_changes_nothing_and_records_nothing(
    campana_en: CampanaEn,
) -> None:
    campana = campana_en("active")
    campana.ajustar_presupuesto(Presupuesto(Decimal("15000"), "USD"))
    assert (campana.presupuesto, campana.eventos) == (ORIGINAL, [])


def test_a_zero_budget_cannot_even_be_expressed(comprobar_error: Comprobar) -> None:
    with pytest.raises(ValidationError) as error:
        Presupuesto(Decimal("0"), "USD")
    comprobar_error(error.value, ErrorCode.INVALID_BUDGET, "presupuesto.monto", "Decimal('0')")
