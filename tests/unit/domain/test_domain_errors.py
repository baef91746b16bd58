"""Error codes are stable, listed in one place, and errors travel well."""

from __future__ import annotations

import pickle

import pytest

import domain.errors
from domain import (
    ERROR_CODES,
    DomainError,
    ErrorCode,
    RuleViolation,
    StateError,
    ValidationError,
)

# The public contract: codes become the `reason` of rejection events. Only additions allowed.
CODIGOS_PUBLICADOS = {
    "INVALID_ID",
    "INVALID_NAME",
    "INVALID_TYPE",
    "INVALID_STATUS",
    "INVALID_INITIAL_STATUS",
    "INVALID_DATETIME",
    "NAIVE_DATETIME",
    "INVALID_DATE_RANGE",
    "INVALID_BUDGET",
    "INVALID_CURRENCY",
    "INVALID_PROFILE",
    "DUPLICATE_PARTICIPANT",
    "UNKNOWN_PARTICIPANT",
    "CURRENCY_CHANGE",
    "ILLEGAL_TRANSITION",
    "CAMPAIGN_FINISHED",
}


def test_no_published_error_code_was_removed_or_renamed() -> None:
    assert set(ERROR_CODES) >= CODIGOS_PUBLICADOS


def test_error_codes_are_upper_snake_case_and_equal_their_names() -> None:
    for code in ErrorCode:
        assert code.value == code.name
        assert code.value.replace("_", "").isalpha() and code.value.isupper()
    assert ERROR_CODES == tuple(code.value for code in ErrorCode)


def test_every_error_code_is_documented_in_the_errors_module_docstring() -> None:
    documentacion = domain.errors.__doc__ or ""
    faltan = [code for code in ERROR_CODES if f"``{code}``" not in documentacion]
    assert faltan == []


@pytest.mark.parametrize("familia", [ValidationError, RuleViolation, StateError])
def test_every_family_is_a_domain_error_carrying_code_field_and_message(
    familia: type[DomainError],
) -> None:
    error = familia(ErrorCode.INVALID_ID, "participantes[1].id", "expected an id, got 'x y'")
    assert isinstance(error, DomainError)
    assert (error.code, error.field) == (ErrorCode.INVALID_ID, "participantes[1].id")
    assert error.message == str(error) == "participantes[1].id: expected an id, got 'x y'"


def test_a_domain_error_survives_pickling_with_its_class_code_and_field() -> None:
    error = StateError(ErrorCode.ILLEGAL_TRANSITION, "estado", "cannot activar")
    copia = pickle.loads(pickle.dumps(error))
    assert type(copia) is StateError
    assert (copia.code, copia.field, str(copia)) == (error.code, error.field, str(error))


def test_the_code_compares_equal_to_its_wire_string() -> None:
    assert ErrorCode.CURRENCY_CHANGE == "CURRENCY_CHANGE"
