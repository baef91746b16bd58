"""Why a command was not applied: one reason code, the offending field, a message for humans.

Reason codes of the contract (besides the domain's own, see domain.errors):
- ``MALFORMED_MESSAGE``: the body is not a JSON object (the message is also dead-lettered);
- ``PAYLOAD_TOO_LARGE``: the body exceeds the size limit (checked before decoding);
- ``UNSUPPORTED_SCHEMA_VERSION``: a ``schema_version`` property other than the topic's;
- ``MISSING_FIELD``, ``UNKNOWN_FIELD``, ``INVALID_FIELD``: the body does not fit the schema;
- ``MISSING_PROPERTY``, ``UNKNOWN_COMMAND``, ``INVALID_PROPERTY``: v2's ``command_type`` is
  missing or unknown; a property (``command_id``, ``correlation_id``,
  ``expected_version``) cannot be used as it is;
- ``MISSING_KEY``, ``KEY_MISMATCH``: a v2 command without a key, or keyed by another
  campaign than its body's ``campana_id``;
- ``VERSION_CONFLICT``: v2's ``expected_version`` is not the campaign's current version;
- ``UNKNOWN_CAMPAIGN``: the command targets a campaign that does not exist;
- ``CAMPAIGN_EXISTS``: a create for an existing id with different data;
- ``COMMAND_ID_REUSED``: a command id already used for a different command.
"""

from dataclasses import dataclass

import pydantic

from domain import DomainError


@dataclass(frozen=True)
class Rejection(Exception):
    reason: str
    field: str | None
    message: str
    # A body that is not even JSON is parked in the dead-letter topic as well.
    dead_letter: bool = False

    @classmethod
    def from_domain(cls, error: DomainError) -> "Rejection":
        return cls(str(error.code), error.field, error.message)

    @classmethod
    def from_validation(cls, error: pydantic.ValidationError) -> "Rejection":
        first = error.errors(include_url=False)[0]
        field = _path(first["loc"])
        kind = first["type"]
        if kind == "json_invalid" or (not first["loc"] and kind.endswith("_type")):
            return cls(
                "MALFORMED_MESSAGE", None, f"body: expected a JSON object, {first['msg']}", True
            )
        if kind == "missing":
            return cls("MISSING_FIELD", field, f"{field}: required field is missing")
        if kind == "extra_forbidden":
            return cls("UNKNOWN_FIELD", field, f"{field}: unknown field (misspelled?)")
        shown = repr(first.get("input"))[:80]
        return cls("INVALID_FIELD", field, f"{field}: {first['msg']}, got {shown}")


# Parts pydantic adds to a location to name the member of a union that failed.
_UNION_MEMBERS = {"str", "int", "float", "bool", "none", "list", "dict"}


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, str) and (part in _UNION_MEMBERS or "[" in part):
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path
