"""Validators shared by the value objects and the aggregate.

Each takes the raw value and the dotted path of the field it came from, and returns the
normalized value or raises a `ValidationError` whose message names the field, shows the value
and says what was expected.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final, TypeVar

from domain.currencies import DIVISAS_ISO_4217
from domain.errors import ErrorCode, ValidationError

ID_MAX: Final = 64
NOMBRE_MAX: Final = 200
_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}", re.ASCII)
# Unicode's control characters (category Cc) are exactly these 65 code points.
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f]")
_SHOWN_MAX: Final = 80

E = TypeVar("E", bound=StrEnum)


def mostrar(valor: object) -> str:
    """A short, safe rendering of a bad value for an error message."""
    texto = repr(valor)
    if len(texto) > _SHOWN_MAX:
        texto = texto[: _SHOWN_MAX - 3] + "..."
    if isinstance(valor, str | int | float | Decimal | datetime):
        return texto
    return f"{texto} ({type(valor).__name__})"


def validar_id(valor: object, campo: str) -> str:
    """An identifier: 1-64 ASCII characters from ``[A-Za-z0-9_.:-]``, such as ``c-12345``."""
    if not isinstance(valor, str) or not _ID_PATTERN.fullmatch(valor):
        raise ValidationError(
            ErrorCode.INVALID_ID,
            campo,
            f"expected an id of 1-{ID_MAX} characters from [A-Za-z0-9_.:-] "
            f"such as 'c-12345', got {mostrar(valor)}",
        )
    return valor


def validar_nombre(valor: object, campo: str) -> str:
    """A display name: returned stripped; non-empty, at most 200 characters, no control chars."""
    if not isinstance(valor, str):
        raise ValidationError(
            ErrorCode.INVALID_NAME, campo, f"expected a text name, got {mostrar(valor)}"
        )
    nombre = valor.strip()
    if not nombre:
        raise ValidationError(
            ErrorCode.INVALID_NAME, campo, f"expected a non-blank name, got {mostrar(valor)}"
        )
    if len(nombre) > NOMBRE_MAX:
        raise ValidationError(
            ErrorCode.INVALID_NAME,
            campo,
            f"expected at most {NOMBRE_MAX} characters, got {len(nombre)}: {mostrar(valor)}",
        )
    if _CONTROL.search(nombre):
        raise ValidationError(
            ErrorCode.INVALID_NAME,
            campo,
            f"expected a single line without control characters, got {mostrar(valor)}",
        )
    return nombre


def validar_miembro(enum: type[E], valor: object, campo: str, code: ErrorCode) -> E:
    """One of the values of a string enum, matched exactly (case-sensitive)."""
    if isinstance(valor, str):
        try:
            return enum(valor)  # a lookup by value: exact, case-sensitive
        except ValueError:
            pass
    permitidos = ", ".join(repr(m.value) for m in enum)
    raise ValidationError(code, campo, f"expected one of {permitidos}, got {mostrar(valor)}")


def validar_fecha(valor: object, campo: str) -> datetime:
    """A timezone-aware `datetime`."""
    if not isinstance(valor, datetime):
        raise ValidationError(
            ErrorCode.INVALID_DATETIME,
            campo,
            f"expected a timezone-aware datetime, got {mostrar(valor)}",
        )
    if valor.tzinfo is None or valor.utcoffset() is None:
        raise ValidationError(
            ErrorCode.NAIVE_DATETIME,
            campo,
            f"expected a timezone-aware datetime (e.g. with tzinfo=UTC), "
            f"got naive {valor.isoformat()}",
        )
    return valor


def validar_rango(inicio: datetime, fin: datetime) -> None:
    """``fecha_fin`` strictly after ``fecha_inicio`` (both already validated)."""
    if not fin > inicio:
        raise ValidationError(
            ErrorCode.INVALID_DATE_RANGE,
            "fecha_fin",
            f"expected a date after fecha_inicio ({inicio.isoformat()}), got {fin.isoformat()}",
        )


def validar_monto(valor: object, campo: str) -> Decimal:
    """A finite `Decimal` strictly greater than zero (floats are refused: they are inexact)."""
    if not isinstance(valor, Decimal) or not valor.is_finite() or not valor > 0:
        raise ValidationError(
            ErrorCode.INVALID_BUDGET,
            campo,
            f"expected a finite Decimal amount greater than 0, got {mostrar(valor)}",
        )
    return valor


def validar_divisa(valor: object, campo: str) -> str:
    """An active ISO-4217 currency code in upper case, from `DIVISAS_ISO_4217`."""
    if not isinstance(valor, str) or valor not in DIVISAS_ISO_4217:
        raise ValidationError(
            ErrorCode.INVALID_CURRENCY,
            campo,
            f"expected an active ISO-4217 currency code in upper case such as 'USD', "
            f"got {mostrar(valor)}",
        )
    return valor
