"""The AsyncAPI document: the service named with its version, every channel of both
versions with a typed payload and the properties of each message, v1 deprecated."""

from typing import Any

from contracts.asyncapi import TITLE, document, service_version
from contracts.catalog import messages
from contracts.topics import COMMANDS_V2, EVENTS_V2

DOC = document()


def resolve(ref: str) -> Any:
    target: Any = DOC
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


def test_it_names_the_service_and_its_version() -> None:
    assert DOC["asyncapi"] == "3.0.0"
    assert DOC["info"]["title"] == TITLE
    assert DOC["info"]["version"] == service_version() != "0+unknown"


def test_every_message_of_every_version_is_on_its_channel_with_typed_payload_and_headers() -> None:
    addresses = {name: channel["address"] for name, channel in DOC["channels"].items()}
    assert addresses["comandos.v2"] == COMMANDS_V2
    assert addresses["eventos.v2"] == EVENTS_V2
    for message in messages():
        [channel] = [c for c in DOC["channels"].values() if c["address"] == message.topic]
        described = resolve(channel["messages"][message.name]["$ref"])
        payload = resolve(described["payload"]["$ref"])
        headers = resolve(described["headers"]["$ref"])
        assert payload == resolve(f"#/components/schemas/{message.body.__name__}")
        assert payload["type"] == headers["type"] == "object"
        assert set(message.properties.model_fields) <= set(headers["properties"])
        assert channel.get("x-deprecated", False) is message.deprecated


def test_v2_messages_carry_their_properties() -> None:
    command = resolve("#/components/schemas/CommandPropertiesV2")
    event = resolve("#/components/schemas/EventPropertiesV2")
    assert {"command_type", "command_id", "correlation_id", "expected_version"} <= set(
        command["properties"]
    )
    assert command["required"] == ["command_type"]
    assert {"event_id", "event_type", "aggregate_version", "causation_id"} <= set(
        event["properties"]
    )


def test_every_reference_resolves() -> None:
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return own + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    for ref in refs(DOC):
        resolve(ref)  # a KeyError names the dangling reference


def test_operations_say_who_sends_and_who_receives() -> None:
    assert DOC["operations"]["apply.comandos.v2"]["action"] == "receive"
    assert DOC["operations"]["publish.eventos.v2"]["action"] == "send"
    assert len(DOC["operations"]["apply.comandos.v2"]["messages"]) == 8
    assert len(DOC["operations"]["publish.eventos.v2"]["messages"]) == 9
