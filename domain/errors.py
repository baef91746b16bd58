"""Domain errors: one base class, three families, and the stable list of error codes.

Every rule the domain enforces raises a `DomainError` carrying

- `code`: a stable, machine-readable `ErrorCode` (it becomes the `reason` of the public rejection
  event, so codes are never renamed, only added);
- `field`: the dotted path of the offending input, e.g. ``"presupuesto.monto"`` or
  ``"participantes[1].id"``;
- `message`: ``"<field>: <what was wrong, the value, and what was expected>"``.

Error codes (family in brackets):

- ``INVALID_ID`` [validation]: an identifier is not 1-64 ASCII characters from ``[A-Za-z0-9_.:-]``.
- ``INVALID_NAME`` [validation]: a name is empty after strip, longer than 200 characters or
  holds control characters.
- ``INVALID_TYPE`` [validation]: a campaign or participant ``tipo`` outside its allowed set.
- ``INVALID_STATUS`` [validation]: an ``estado`` outside draft | active | paused | finished.
- ``INVALID_INITIAL_STATUS`` [validation]: a campaign created with an ``estado`` other than draft.
- ``INVALID_DATETIME`` [validation]: a date that is not a ``datetime``.
- ``NAIVE_DATETIME`` [validation]: a ``datetime`` without a timezone.
- ``INVALID_DATE_RANGE`` [validation]: ``fecha_fin`` not strictly after ``fecha_inicio``.
- ``INVALID_BUDGET`` [validation]: a budget amount that is not a finite ``Decimal`` > 0.
- ``INVALID_CURRENCY`` [validation]: a currency that is not a known active ISO-4217 code.
- ``INVALID_PROFILE`` [validation]: ``informacion_perfil`` is neither free text of at most 1000
  characters nor a small mapping of str -> scalar.
- ``DUPLICATE_PARTICIPANT`` [rule]: a participant id already in the campaign.
- ``UNKNOWN_PARTICIPANT`` [rule]: removing a participant id that is not in the campaign.
- ``CURRENCY_CHANGE`` [rule]: adjusting the budget to another currency.
- ``ILLEGAL_TRANSITION`` [state]: a lifecycle operation not allowed from the current ``estado``.
- ``CAMPAIGN_FINISHED`` [state]: changing participants or budget of a finished campaign.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """The stable, machine-readable reason of a `DomainError` (values equal their names)."""

    INVALID_ID = "INVALID_ID"
    INVALID_NAME = "INVALID_NAME"
    INVALID_TYPE = "INVALID_TYPE"
    INVALID_STATUS = "INVALID_STATUS"
    INVALID_INITIAL_STATUS = "INVALID_INITIAL_STATUS"
    INVALID_DATETIME = "INVALID_DATETIME"
    NAIVE_DATETIME = "NAIVE_DATETIME"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    INVALID_BUDGET = "INVALID_BUDGET"
    INVALID_CURRENCY = "INVALID_CURRENCY"
    INVALID_PROFILE = "INVALID_PROFILE"
    DUPLICATE_PARTICIPANT = "DUPLICATE_PARTICIPANT"
    UNKNOWN_PARTICIPANT = "UNKNOWN_PARTICIPANT"
    CURRENCY_CHANGE = "CURRENCY_CHANGE"
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    CAMPAIGN_FINISHED = "CAMPAIGN_FINISHED"


ERROR_CODES: tuple[str, ...] = tuple(code.value for code in ErrorCode)
"""Every error code, in declaration order."""


class DomainError(Exception):
    """A domain rule was broken; `code`, `field` and `message` say which, where and why."""

    def __init__(self, code: ErrorCode, field: str, detail: str) -> None:
        self.code = code
        self.field = field
        self.detail = detail
        self.message = f"{field}: {detail}"
        super().__init__(self.message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles its `args` (the message); rebuild from the real arguments instead.
        return (type(self), (self.code, self.field, self.detail))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value}, {self.field!r}, {self.detail!r})"


class ValidationError(DomainError):
    """An input value is malformed on its own (wrong type, format, range or set member)."""


class RuleViolation(DomainError):
    """Well-formed input that breaks a rule of the campaign (duplicates, currency changes...)."""


class StateError(DomainError):
    """The operation is not allowed in the campaign's current `estado`."""
