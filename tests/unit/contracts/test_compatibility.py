"""The compatibility gate's judge: each kind of break is found and named; adding an
optional field passes."""

import copy
from typing import Any

import pytest

from contracts.catalog import json_schemas
from contracts.compatibility import breaking_changes

SCHEMAS = json_schemas()
COMMAND = SCHEMAS["v2/commands/crear-campana.json"]
EVENT = SCHEMAS["v2/events/campana-creada.json"]


def changed(schema: dict[str, Any], change: Any) -> dict[str, Any]:
    new = copy.deepcopy(schema)
    change(new)
    return new


@pytest.mark.parametrize("path", sorted(SCHEMAS))
def test_every_schema_is_compatible_with_itself(path: str) -> None:
    assert breaking_changes(SCHEMAS[path], SCHEMAS[path], consumed="command" in path) == []


def test_adding_an_optional_field_passes_both_ways() -> None:
    def add(s: dict[str, Any]) -> None:
        s["properties"]["nota"] = {"type": "string", "default": ""}

    assert breaking_changes(COMMAND, changed(COMMAND, add), consumed=True) == []
    assert breaking_changes(EVENT, changed(EVENT, add), consumed=False) == []


def test_a_removed_field_is_named() -> None:
    def remove(s: dict[str, Any]) -> None:
        del s["properties"]["marca_id"]
        s["required"].remove("marca_id")

    assert breaking_changes(COMMAND, changed(COMMAND, remove), consumed=True) == [
        "marca_id: field removed"
    ]
    assert breaking_changes(EVENT, changed(EVENT, remove), consumed=False) == [
        "marca_id: field removed"
    ]


def test_a_renamed_field_is_named_with_its_new_name() -> None:
    def rename(s: dict[str, Any]) -> None:
        s["properties"]["marca"] = s["properties"].pop("marca_id")
        s["required"] = ["marca" if f == "marca_id" else f for f in s["required"]]

    problems = breaking_changes(COMMAND, changed(COMMAND, rename), consumed=True)
    assert "marca_id: field removed (renamed to marca?)" in problems


def test_a_narrowed_type_is_named() -> None:
    def narrow(s: dict[str, Any]) -> None:
        s["$defs"]["ParticipanteV2"]["properties"]["informacion_perfil"] = {
            "anyOf": [{"type": "string"}, {"type": "null"}]
        }

    [problem] = breaking_changes(COMMAND, changed(COMMAND, narrow), consumed=True)
    assert problem.startswith("participantes[].informacion_perfil: type narrowed, object")


def test_a_widened_type_breaks_event_consumers_only() -> None:
    def widen(s: dict[str, Any]) -> None:
        s["properties"]["nombre"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}

    assert breaking_changes(COMMAND, changed(COMMAND, widen), consumed=True) == []
    [problem] = breaking_changes(EVENT, changed(EVENT, widen), consumed=False)
    assert problem.startswith("nombre: type widened, consumers may now get null")


def test_an_optional_field_made_required_is_named() -> None:
    def require(s: dict[str, Any]) -> None:
        s["required"].append("estado")

    assert breaking_changes(COMMAND, changed(COMMAND, require), consumed=True) == [
        "estado: optional field made required"
    ]


def test_a_required_event_field_made_optional_is_named() -> None:
    def relax(s: dict[str, Any]) -> None:
        s["required"].remove("nombre")

    assert breaking_changes(EVENT, changed(EVENT, relax), consumed=False) == [
        "nombre: required field made optional (consumers rely on it)"
    ]


def test_a_removed_enum_value_is_named() -> None:
    def drop(s: dict[str, Any]) -> None:
        s["properties"]["tipo"]["enum"].remove("Mixed")

    assert breaking_changes(COMMAND, changed(COMMAND, drop), consumed=True) == [
        "tipo: enum value(s) removed: Mixed"
    ]
    assert breaking_changes(EVENT, changed(EVENT, drop), consumed=False) == [
        "tipo: enum value(s) removed: Mixed"
    ]


def test_a_new_required_command_field_is_named() -> None:
    def add(s: dict[str, Any]) -> None:
        s["properties"]["canal"] = {"type": "string"}
        s["required"].append("canal")

    assert breaking_changes(COMMAND, changed(COMMAND, add), consumed=True) == [
        "canal: new required field (old producers do not send it)"
    ]


def test_a_tighter_constraint_is_named() -> None:
    def tighten(s: dict[str, Any]) -> None:
        s["$defs"]["PresupuestoV2"]["properties"]["monto"]["pattern"] = "^[0-9]+$"

    [problem] = breaking_changes(COMMAND, changed(COMMAND, tighten), consumed=True)
    assert problem.startswith("presupuesto.monto: pattern changed")
