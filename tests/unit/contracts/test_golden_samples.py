"""Golden sample messages of every version (contracts/golden/, never edited once
released) are still read by the current code: commands decode into the same domain
command, events into the current models, the read side and the notifications."""

import json
from pathlib import Path
from typing import Any

import pytest

from application.commands.incoming import CommandEnvelope, decode
from application.notifications import describe
from contracts import v1, v2
from contracts.catalog import messages
from contracts.topics import COMMANDS_V2
from workers.projector import decode_event

GOLDEN = Path(__file__).resolve().parents[3] / "contracts" / "golden"
SAMPLES = sorted(GOLDEN.glob("v*/*/*.json"))
EVENT_MODELS = {1: v1.EVENTS, 2: v2.EVENTS}


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_there_is_a_golden_sample_of_every_message_of_every_version() -> None:
    have = {str(p.relative_to(GOLDEN)) for p in SAMPLES}
    assert have == {m.path for m in messages()}


@pytest.mark.parametrize(
    "path",
    [p for p in SAMPLES if p.parent.name == "commands"],
    ids=lambda p: f"{p.parent.parent.name}-{p.stem}",
)
def test_a_golden_command_decodes_into_its_domain_command(path: Path) -> None:
    sample = load(path)
    version = int(path.parent.parent.name[1:])
    props = sample["properties"]
    envelope = CommandEnvelope(
        command_type=props.get("command_type") or path.stem,
        command_id=props["command_id"],
        correlation_id=props["correlation_id"],
        body=json.dumps(sample["body"]).encode(),
        contract=version,
        key=sample["key"],
    )
    incoming = decode(envelope)
    assert incoming.rejection is None, incoming.rejection
    assert incoming.command is not None
    assert incoming.campana_id == sample["key"] == "c-12345"
    assert (sample["topic"] == COMMANDS_V2) == (version == 2)


@pytest.mark.parametrize(
    "path",
    [p for p in SAMPLES if p.parent.name == "events"],
    ids=lambda p: f"{p.parent.parent.name}-{p.stem}",
)
def test_a_golden_event_is_read_by_its_model_the_projector_and_notifications(
    path: Path,
) -> None:
    sample = load(path)
    version = int(path.parent.parent.name[1:])
    props = sample["properties"]
    assert props["schema_version"] == str(version)
    model = EVENT_MODELS[version][props["event_type"]]
    event = model.model_validate(sample["body"])
    if version == 2:
        received = decode_event(json.dumps(sample["body"]).encode(), props)
        assert received.event_id == props["event_id"]
        subject, _ = describe(v2.EVENTS[props["event_type"]].model_validate(sample["body"]))
        assert subject and "Evento " not in subject
    assert getattr(event, "campana_id", None) in (sample["key"], None)
