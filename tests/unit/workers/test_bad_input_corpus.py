"""A corpus of bad commands: each gets exactly one final outcome, a rejection with the
reason and the field, writes nothing else, and never raises out of the handler."""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.commands.handler import handle_command
from application.commands.incoming import CommandEnvelope
from application.commands.memory import InMemoryState as World
from contracts.examples import example

SEED: dict[str, Any] = json.loads(example("crear-campana"))


def crear(**changes: Any) -> dict[str, Any]:
    """The seed's body for a new campaign id (c-12345 exists already), with changes."""
    return {**SEED, "id": "c-new", **changes}


def without(field: str) -> dict[str, Any]:
    return {k: v for k, v in crear().items() if k != field}


def participante(**changes: Any) -> dict[str, Any]:
    return {"id": "p-1", "tipo": "Influencer", "nombre": "Ana", **changes}


def presupuesto(monto: Any, divisa: Any = "USD") -> dict[str, Any]:
    return {"monto": monto, "divisa": divisa}


# (command, body, reason, field); field None where the body as a whole is wrong.
CORPUS: list[tuple[str, Any, str, str | None]] = [
    # not JSON, not an object
    ("crear-campana", b"", "MALFORMED_MESSAGE", None),
    ("crear-campana", b"{", "MALFORMED_MESSAGE", None),
    ("crear-campana", b"\xff\xfe\x00", "MALFORMED_MESSAGE", None),
    ("crear-campana", b"null", "MALFORMED_MESSAGE", None),
    ("crear-campana", b"[]", "MALFORMED_MESSAGE", None),
    ("crear-campana", b'"a string"', "MALFORMED_MESSAGE", None),
    ("crear-campana", b"42", "MALFORMED_MESSAGE", None),
    ("activar-campana", b"true", "MALFORMED_MESSAGE", None),
    ("activar-campana", b"{'campana_id': 'c-1'}", "MALFORMED_MESSAGE", None),
    # missing and misspelled fields
    ("crear-campana", without("id"), "MISSING_FIELD", "id"),
    ("crear-campana", without("nombre"), "MISSING_FIELD", "nombre"),
    ("crear-campana", without("fecha_inicio"), "MISSING_FIELD", "fecha_inicio"),
    ("crear-campana", without("presupuesto"), "MISSING_FIELD", "presupuesto"),
    ("crear-campana", without("marca_id"), "MISSING_FIELD", "marca_id"),
    ("crear-campana", crear(presupuesto={"monto": 1}), "MISSING_FIELD", "presupuesto.divisa"),
    ("crear-campana", crear(nombr="x"), "UNKNOWN_FIELD", "nombr"),
    (
        "crear-campana",
        crear(participantes=[participante(edad=3)]),
        "UNKNOWN_FIELD",
        "participantes[0].edad",
    ),
    ("activar-campana", {}, "MISSING_FIELD", "campana_id"),
    ("activar-campana", {"campaña_id": "c-12345"}, "MISSING_FIELD", "campana_id"),
    ("retirar-participante", {"campana_id": "c-12345"}, "MISSING_FIELD", "participante_id"),
    ("ajustar-presupuesto", {"campana_id": "c-12345"}, "MISSING_FIELD", "presupuesto"),
    (
        "agregar-participante",
        {"campana_id": "c-12345", "participante": {"id": "p-1"}},
        "MISSING_FIELD",
        "participante.tipo",
    ),
    # wrong types
    ("crear-campana", crear(id=123), "INVALID_FIELD", "id"),
    ("crear-campana", crear(nombre=None), "INVALID_FIELD", "nombre"),
    ("crear-campana", crear(tipo="Celebrity"), "INVALID_FIELD", "tipo"),
    ("crear-campana", crear(tipo="influencer"), "INVALID_FIELD", "tipo"),
    ("crear-campana", crear(fecha_inicio="mañana"), "INVALID_FIELD", "fecha_inicio"),
    ("crear-campana", crear(fecha_fin=20251210), "INVALID_FIELD", "fecha_fin"),
    (
        "crear-campana",
        crear(presupuesto=presupuesto("mucho")),
        "INVALID_FIELD",
        "presupuesto.monto",
    ),
    ("crear-campana", crear(presupuesto=presupuesto([1])), "INVALID_FIELD", "presupuesto.monto"),
    ("crear-campana", crear(presupuesto="15000 USD"), "INVALID_FIELD", "presupuesto"),
    ("crear-campana", crear(participantes={"p": 1}), "INVALID_FIELD", "participantes"),
    (
        "crear-campana",
        crear(participantes=[participante(tipo="Mixed")]),
        "INVALID_FIELD",
        "participantes[0].tipo",
    ),
    (
        "crear-campana",
        crear(participantes=[participante(informacion_perfil=[1, 2])]),
        "INVALID_FIELD",
        "participantes[0].informacion_perfil",
    ),
    ("activar-campana", {"campana_id": ["c-12345"]}, "INVALID_FIELD", "campana_id"),
    (
        "ajustar-presupuesto",
        {"campana_id": "c-12345", "presupuesto": presupuesto(None)},
        "INVALID_FIELD",
        "presupuesto.monto",
    ),
    # illegal values (the domain's rules)
    ("crear-campana", crear(id=""), "INVALID_ID", "id"),
    ("crear-campana", crear(id="c 1"), "INVALID_ID", "id"),
    ("crear-campana", crear(id="campaña-1"), "INVALID_ID", "id"),
    ("crear-campana", crear(id="c" * 65), "INVALID_ID", "id"),
    ("crear-campana", crear(marca_id="b/1"), "INVALID_ID", "marca_id"),
    ("crear-campana", crear(nombre="   "), "INVALID_NAME", "nombre"),
    ("crear-campana", crear(nombre="x" * 201), "INVALID_NAME", "nombre"),
    ("crear-campana", crear(estado="active"), "INVALID_INITIAL_STATUS", "estado"),
    ("crear-campana", crear(estado="bogus"), "INVALID_STATUS", "estado"),
    ("crear-campana", crear(fecha_inicio="2025-09-10T00:00:00"), "NAIVE_DATETIME", "fecha_inicio"),
    ("crear-campana", crear(fecha_fin="2025-01-01T00:00:00Z"), "INVALID_DATE_RANGE", "fecha_fin"),
    ("crear-campana", crear(fecha_fin=SEED["fecha_inicio"]), "INVALID_DATE_RANGE", "fecha_fin"),
    ("crear-campana", crear(presupuesto=presupuesto(0)), "INVALID_BUDGET", "presupuesto.monto"),
    ("crear-campana", crear(presupuesto=presupuesto("-5")), "INVALID_BUDGET", "presupuesto.monto"),
    ("crear-campana", crear(presupuesto=presupuesto("NaN")), "INVALID_FIELD", "presupuesto.monto"),
    (
        "crear-campana",
        crear(presupuesto=presupuesto("Infinity")),
        "INVALID_FIELD",
        "presupuesto.monto",
    ),
    (
        "crear-campana",
        crear(presupuesto=presupuesto(10, "usd")),
        "INVALID_CURRENCY",
        "presupuesto.divisa",
    ),
    (
        "crear-campana",
        crear(presupuesto=presupuesto(10, "XYZ")),
        "INVALID_CURRENCY",
        "presupuesto.divisa",
    ),
    (
        "crear-campana",
        crear(presupuesto=presupuesto(10, "")),
        "INVALID_CURRENCY",
        "presupuesto.divisa",
    ),
    (
        "crear-campana",
        crear(participantes=[participante(), participante()]),
        "DUPLICATE_PARTICIPANT",
        "participantes[1].id",
    ),
    (
        "crear-campana",
        crear(participantes=[participante(id="")]),
        "INVALID_ID",
        "participantes[0].id",
    ),
    (
        "crear-campana",
        crear(participantes=[participante(nombre="")]),
        "INVALID_NAME",
        "participantes[0].nombre",
    ),
    (
        "crear-campana",
        crear(participantes=[participante(informacion_perfil="x" * 1001)]),
        "INVALID_PROFILE",
        "participantes[0].informacion_perfil",
    ),
    (
        "ajustar-presupuesto",
        {"campana_id": "c-12345", "presupuesto": presupuesto("-1")},
        "INVALID_BUDGET",
        "presupuesto.monto",
    ),
    # the campaign's state
    ("activar-campana", {"campana_id": "c-nope"}, "UNKNOWN_CAMPAIGN", "campana_id"),
    ("pausar-campana", {"campana_id": "c-12345"}, "ILLEGAL_TRANSITION", "estado"),
    ("reanudar-campana", {"campana_id": "c-12345"}, "ILLEGAL_TRANSITION", "estado"),
    (
        "retirar-participante",
        {"campana_id": "c-12345", "participante_id": "p-none"},
        "UNKNOWN_PARTICIPANT",
        "participante_id",
    ),
    (
        "agregar-participante",
        {"campana_id": "c-12345", "participante": participante(id="p-98765")},
        "DUPLICATE_PARTICIPANT",
        "participante.id",
    ),
    (
        "ajustar-presupuesto",
        {"campana_id": "c-12345", "presupuesto": presupuesto(1, "EUR")},
        "CURRENCY_CHANGE",
        "presupuesto.divisa",
    ),
    ("crear-campana", {**SEED, "nombre": "Otra"}, "CAMPAIGN_EXISTS", "id"),
]


async def seeded() -> World:
    world = World()
    await handle_command(
        CommandEnvelope("crear-campana", "seed", "seed", example("crear-campana")),
        world.unit_of_work,
    )
    world.outbox.clear()
    return world


def encode(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def test_the_corpus_has_at_least_fifty_cases() -> None:
    assert len(CORPUS) >= 50


@pytest.mark.parametrize(("command", "body", "reason", "field"), CORPUS)
async def test_a_bad_command_is_rejected_with_its_reason_and_field(
    command: str, body: Any, reason: str, field: str | None
) -> None:
    world = await seeded()
    before = {k: (c.version, c.estado) for k, c in world.campaigns.items()}

    outcome = await handle_command(
        CommandEnvelope(command, "bad", "corr", encode(body)), world.unit_of_work
    )

    assert outcome.status == "rejected"
    assert outcome.rejection is not None
    assert (outcome.rejection.reason, outcome.rejection.field) == (reason, field)
    if field:
        assert field.split("[")[0].split(".")[0] in outcome.rejection.message
    [event] = world.messages(1)
    assert json.loads(event.payload)["reason"] == reason
    assert {k: (c.version, c.estado) for k, c in world.campaigns.items()} == before


async def test_a_foreign_schema_version_is_rejected() -> None:
    world = await seeded()
    envelope = CommandEnvelope(
        "activar-campana", "v2", "corr", b'{"campana_id": "c-12345"}', schema_version="2"
    )
    outcome = await handle_command(envelope, world.unit_of_work)
    assert outcome.rejection is not None
    assert outcome.rejection.reason == "UNSUPPORTED_SCHEMA_VERSION"


COMMAND_TYPES = st.sampled_from(
    ["crear-campana", "activar-campana", "agregar-participante", "ajustar-presupuesto"]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command=COMMAND_TYPES, body=st.binary(max_size=200))
async def test_any_bytes_get_an_outcome_and_never_raise(command: str, body: bytes) -> None:
    world = await seeded()
    outcome = await handle_command(CommandEnvelope(command, "fuzz", "c", body), world.unit_of_work)
    assert outcome.status in {"applied", "rejected", "duplicate"}
    assert len(world.messages(1)) <= 1 and len(world.messages(2)) <= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command=COMMAND_TYPES, body=JSON)
async def test_any_json_gets_an_outcome_and_never_raises(command: str, body: Any) -> None:
    world = await seeded()
    raw = json.dumps(body).encode()
    outcome = await handle_command(CommandEnvelope(command, "fuzz", "c", raw), world.unit_of_work)
    assert outcome.status in {"applied", "rejected", "duplicate"}
    if outcome.status == "rejected":
        assert outcome.rejection is not None and outcome.rejection.reason


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(sorted(SEED)),
    value=JSON,
)
async def test_any_value_in_any_field_of_the_seed_gets_an_outcome(field: str, value: Any) -> None:
    world = World()
    raw = json.dumps({**SEED, field: value}).encode()
    outcome = await handle_command(
        CommandEnvelope("crear-campana", "f", "c", raw), world.unit_of_work
    )
    assert outcome.status in {"applied", "rejected"}
    if outcome.status == "rejected":
        assert outcome.rejection is not None
        assert outcome.rejection.field is None or outcome.rejection.field.startswith(field)
