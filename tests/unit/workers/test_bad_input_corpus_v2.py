"""The bad-input corpus on the v2 command stream: v1's cases in v2's shape, and what only
v2 has (command_type, key, expected_version). Each gets exactly one final outcome, a
rejection with the reason and the field, on the v2 event stream keyed by its campaign."""

import json
from typing import Any

import pytest

from application.commands.handler import handle_command
from application.commands.incoming import CommandEnvelope
from application.commands.memory import InMemoryState as World
from contracts.examples import example

from .test_bad_input_corpus import CORPUS, encode, seeded

V2_SEED: dict[str, Any] = json.loads(example("crear-campana", 2))


def as_v2(command: str, body: Any, field: str | None) -> tuple[Any, str | None]:
    """A v1 case in v2's shape: a create names its campaign campana_id, amounts are text."""
    if isinstance(body, dict):
        body = dict(body)
        if command == "crear-campana" and "id" in body:
            body["campana_id"] = body.pop("id")
        presupuesto = body.get("presupuesto")
        if isinstance(presupuesto, dict) and type(presupuesto.get("monto")) in (int, float):
            body["presupuesto"] = presupuesto | {"monto": str(presupuesto["monto"])}
    if command == "crear-campana" and field == "id":
        field = "campana_id"
    return body, field


def key_of(body: Any) -> str:
    campaign = body.get("campana_id") if isinstance(body, dict) else None
    return campaign if isinstance(campaign, str) else "c-new"


def v2_envelope(
    command: str, body: Any, *, key: str | None = None, command_id: str = "bad", **more: Any
) -> CommandEnvelope:
    return CommandEnvelope(
        command_type=command,
        command_id=command_id,
        correlation_id=more.pop("correlation_id", "corr"),
        body=encode(body),
        contract=2,
        key=key_of(body) if key is None else key,
        **more,
    )


def v1_cases_as_v2() -> list[tuple[str, Any, str, str | None]]:
    cases = []
    for command, v1_body, reason, v1_field in CORPUS:
        body, field = as_v2(command, v1_body, v1_field)
        if isinstance(body, dict) and body.get("campana_id") == "":
            reason, field = "MISSING_KEY", "key"  # an empty campaign id is an empty key
        cases.append((command, body, reason, field))
    return cases


V1_CASES_AS_V2 = v1_cases_as_v2()


def nested(depth: int) -> bytes:
    return b'{"campana_id": "c-12345", "x": ' + b"[" * depth + b"]" * depth + b"}"


# (command, body, envelope changes, reason, field): what only v2 can get wrong.
ACTIVAR = {"campana_id": "c-12345"}
V2_ONLY: list[tuple[str, Any, dict[str, Any], str, str | None]] = [
    ("activar-campana", ACTIVAR, {"key": ""}, "MISSING_KEY", "key"),
    ("activar-campana", ACTIVAR, {"key": "c-other"}, "KEY_MISMATCH", "key"),
    ("", ACTIVAR, {}, "MISSING_PROPERTY", "command_type"),
    ("borrar-campana", ACTIVAR, {}, "UNKNOWN_COMMAND", "command_type"),
    ("activar-campana\x00", ACTIVAR, {}, "UNKNOWN_COMMAND", "command_type"),
    (
        "crear-campana",
        V2_SEED | {"campana_id": "c-n", "presupuesto": {"monto": 15000.0, "divisa": "USD"}},
        {},
        "INVALID_FIELD",
        "presupuesto.monto",
    ),
    (
        "crear-campana",
        V2_SEED | {"campana_id": "c-n", "presupuesto": {"monto": "1e3", "divisa": "USD"}},
        {},
        "INVALID_FIELD",
        "presupuesto.monto",
    ),
    (
        "ajustar-presupuesto",
        {"campana_id": "c-12345", "presupuesto": {"monto": 18000, "divisa": "USD"}},
        {},
        "INVALID_FIELD",
        "presupuesto.monto",
    ),
    (
        "crear-campana",
        {**json.loads(example("crear-campana", 1)), "id": "c-v1-shape"},
        {"key": "c-v1-shape"},
        "MISSING_FIELD",
        "campana_id",
    ),
    (
        "activar-campana",
        ACTIVAR,
        {"expected_version": "one"},
        "INVALID_PROPERTY",
        "expected_version",
    ),
    (
        "activar-campana",
        ACTIVAR,
        {"expected_version": "-1"},
        "INVALID_PROPERTY",
        "expected_version",
    ),
    ("activar-campana", ACTIVAR, {"expected_version": "7"}, "VERSION_CONFLICT", "expected_version"),
    (
        "crear-campana",
        V2_SEED | {"campana_id": "c-n"},
        {"expected_version": "3"},
        "VERSION_CONFLICT",
        "expected_version",
    ),
    (
        "crear-campana",
        V2_SEED | {"nombre": "Otra"},
        {"expected_version": "0"},
        "VERSION_CONFLICT",
        "expected_version",
    ),
    ("crear-campana", V2_SEED | {"nombre": "Otra"}, {}, "CAMPAIGN_EXISTS", "campana_id"),
    ("activar-campana", ACTIVAR, {"command_id": "x" * 129}, "INVALID_PROPERTY", "command_id"),
    ("activar-campana", ACTIVAR, {"command_id": "a\x00b"}, "INVALID_PROPERTY", "command_id"),
    (
        "activar-campana",
        ACTIVAR,
        {"correlation_id": "c" * 200},
        "INVALID_PROPERTY",
        "correlation_id",
    ),
    ("activar-campana", ACTIVAR, {"schema_version": "1"}, "UNSUPPORTED_SCHEMA_VERSION", None),
    ("activar-campana", {"campana_id": "c" * 1000}, {}, "INVALID_ID", "campana_id"),
    ("activar-campana", {"campana_id": "c-1\x00"}, {}, "INVALID_ID", "campana_id"),
    ("activar-campana", nested(1025), {"key": "c-12345"}, "MALFORMED_MESSAGE", None),
    ("activar-campana", nested(50_000), {"key": "c-12345"}, "MALFORMED_MESSAGE", None),
]


@pytest.mark.parametrize(("command", "body", "reason", "field"), V1_CASES_AS_V2)
async def test_every_v1_case_is_rejected_on_v2_too(
    command: str, body: Any, reason: str, field: str | None
) -> None:
    await _rejected(command, body, {}, reason, field)


@pytest.mark.parametrize(("command", "body", "changes", "reason", "field"), V2_ONLY)
async def test_what_only_v2_checks_is_rejected_with_its_reason_and_field(
    command: str, body: Any, changes: dict[str, Any], reason: str, field: str | None
) -> None:
    await _rejected(command, body, changes, reason, field)


async def _rejected(
    command: str, body: Any, changes: dict[str, Any], reason: str, field: str | None
) -> None:
    world = await seeded()
    before = {k: (c.version, c.estado) for k, c in world.campaigns.items()}

    outcome = await handle_command(v2_envelope(command, body, **changes), world.unit_of_work)

    assert outcome.status == "rejected"
    assert outcome.rejection is not None
    assert (outcome.rejection.reason, outcome.rejection.field) == (reason, field)
    if field:
        assert field.split("[")[0].split(".")[0] in outcome.rejection.message
    [event] = world.messages(2)
    assert event.topic == "persistent://public/default/alpes.campanas.eventos.v2"
    rejected = json.loads(event.payload)
    assert (rejected["reason"], rejected["field"]) == (reason, field)
    # Keyed by the campaign when the command named a usable one, else by the command id.
    assert event.key == (rejected["campana_id"] or outcome.command_id)
    assert len(outcome.command_id) <= 128 and "\x00" not in outcome.command_id
    assert {k: (c.version, c.estado) for k, c in world.campaigns.items()} == before


async def test_a_matching_expected_version_is_applied() -> None:
    world = await seeded()
    outcome = await handle_command(
        v2_envelope("activar-campana", ACTIVAR, command_id="a", expected_version="1"),
        world.unit_of_work,
    )
    assert outcome.status == "applied"
    assert world.campaigns["c-12345"].version == 2


async def test_a_create_expecting_version_0_is_applied_once() -> None:
    world = World()
    body = V2_SEED | {"campana_id": "c-0"}
    first = await handle_command(
        v2_envelope("crear-campana", body, command_id="a", expected_version="0"), world.unit_of_work
    )
    again = await handle_command(
        v2_envelope("crear-campana", body, command_id="b", expected_version="0"), world.unit_of_work
    )
    assert (first.status, again.status) == ("applied", "duplicate")


async def test_a_command_sent_on_v1_and_again_on_v2_is_one_command() -> None:
    world = World()
    v1 = CommandEnvelope("crear-campana", "same", "corr", example("crear-campana"))
    body = json.loads(example("crear-campana", 2)) | {
        "presupuesto": {"monto": "15000", "divisa": "USD"}
    }
    outcomes = [
        await handle_command(v1, world.unit_of_work),
        await handle_command(
            v2_envelope("crear-campana", body, command_id="same"), world.unit_of_work
        ),
        # Another command id, the same data: the campaign exists already, unchanged.
        await handle_command(
            v2_envelope("crear-campana", body, command_id="other"), world.unit_of_work
        ),
    ]
    assert [o.status for o in outcomes] == ["applied", "duplicate", "duplicate"]


async def test_an_unusable_command_id_keeps_one_stand_in_across_resends() -> None:
    world = await seeded()
    envelope = v2_envelope("activar-campana", ACTIVAR, command_id="x" * 300)
    first = await handle_command(envelope, world.unit_of_work)
    again = await handle_command(envelope, world.unit_of_work)
    assert first.status == "rejected"
    assert again.status == "duplicate"
    assert again.command_id == first.command_id
