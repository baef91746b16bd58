"""A participant's profile information (`InformacionPerfil`): free text or a read-only `Perfil`.

Clients send ``informacion_perfil`` either as free text (the seed's "Influencer de moda con 200k
seguidores") or as a mapping of str -> scalar; the domain keeps the form it was given in, so
events carry exactly what was sent. `Perfil` is a `dict` subclass rather than
`types.MappingProxyType` so that `dataclasses.asdict`, `json`, `copy.deepcopy` and `pickle` keep
working on the events that carry it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final, NoReturn, TypeAlias

from domain.errors import ErrorCode, ValidationError
from domain.validation import mostrar

ValorPerfil: TypeAlias = str | int | float | bool
"""A profile value: text, a number or a flag (``None`` and nested structures are refused)."""

PERFIL_MAX_CLAVES: Final = 50
CLAVE_MAX: Final = 64
TEXTO_MAX: Final = 1000


class Perfil(dict[str, ValorPerfil]):
    """A read-only, hashable ``dict[str, ValorPerfil]``; build a new one to change it."""

    __slots__ = ()

    def _solo_lectura(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("Perfil is read-only: build a new Perfil with the changed entries")

    __setitem__ = __delitem__ = _solo_lectura
    clear = pop = popitem = setdefault = update = __ior__ = _solo_lectura

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __copy__(self) -> Perfil:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Perfil:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Perfil, (dict(self),))

    def __repr__(self) -> str:
        return f"Perfil({dict.__repr__(self)})"


InformacionPerfil: TypeAlias = str | Perfil
"""A validated profile: free text (kept verbatim, possibly empty) or a read-only `Perfil`."""


def validar_perfil(valor: object, campo: str) -> InformacionPerfil:
    """Free text of at most 1000 characters, returned unchanged (empty allowed); or a mapping of
    at most 50 non-blank str keys (<= 64 chars) to str (<= 1000 chars), int, finite float or bool
    values, copied into a `Perfil`."""
    if isinstance(valor, str):
        return _validar_texto(valor, campo)
    if not isinstance(valor, Mapping):
        raise ValidationError(
            ErrorCode.INVALID_PROFILE,
            campo,
            f"expected free text of at most {TEXTO_MAX} characters or a mapping of text keys "
            f"to text, number or boolean values, got {mostrar(valor)}",
        )
    if len(valor) > PERFIL_MAX_CLAVES:
        raise ValidationError(
            ErrorCode.INVALID_PROFILE,
            campo,
            f"expected at most {PERFIL_MAX_CLAVES} entries, got {len(valor)}",
        )
    copia: dict[str, ValorPerfil] = {}
    for clave, dato in valor.items():
        if not isinstance(clave, str) or not clave.strip() or len(clave) > CLAVE_MAX:
            raise ValidationError(
                ErrorCode.INVALID_PROFILE,
                campo,
                f"expected non-blank text keys of at most {CLAVE_MAX} characters, "
                f"got key {mostrar(clave)}",
            )
        copia[clave] = _validar_dato(dato, f"{campo}[{clave!r}]")
    return Perfil(copia)


def _validar_texto(texto: str, campo: str) -> str:
    if len(texto) > TEXTO_MAX:
        raise ValidationError(
            ErrorCode.INVALID_PROFILE,
            campo,
            f"expected text of at most {TEXTO_MAX} characters, got {len(texto)}: {mostrar(texto)}",
        )
    return texto


def _validar_dato(dato: object, campo: str) -> ValorPerfil:
    if isinstance(dato, str):
        return _validar_texto(dato, campo)
    if isinstance(dato, bool | int):
        return dato
    if isinstance(dato, float) and math.isfinite(dato):
        return dato
    raise ValidationError(
        ErrorCode.INVALID_PROFILE,
        campo,
        f"expected text, an integer, a finite float or a boolean, got {mostrar(dato)}",
    )
