"""The contract as an AsyncAPI 3.0 document: every channel of every version, a typed payload
and the properties (headers) of each message, v1 marked deprecated.

Built from the catalog, so it cannot drift from the code; ``alpes schemas export`` writes it
next to the JSON Schemas.
"""

from importlib import metadata
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .catalog import Message, messages

TITLE = "Alpes Partners campaign service"
_REF = "#/components/schemas/{model}"

_CHANNELS = {
    (2, "command"): (
        "comandos.v2",
        "Every campaign command, in the order each campaign's commands must be applied. "
        "Key: the campaign id (required). Property command_type names the command.",
    ),
    (2, "event"): (
        "eventos.v2",
        "Every event of every campaign, in aggregate_version order per campaign. Key: the "
        "campaign id. Property event_type names the event.",
    ),
}
_DEPRECATED = "Deprecated (v1): no order across v1 topics; use the v2 stream."


def service_version() -> str:
    try:
        return metadata.version("alpespartners")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "0+unknown"


def document(version: str | None = None) -> dict[str, Any]:
    catalog = messages()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    components: dict[str, Any] = {"messages": {}, "schemas": _schemas(catalog)}
    for message in catalog:
        channel, description = _channel_of(message)
        entry = channels.setdefault(
            channel,
            {
                "address": message.topic,
                "title": channel,
                "description": description,
                "messages": {},
            },
        )
        if message.deprecated:
            entry.update({"tags": [{"name": "deprecated"}], "x-deprecated": True})
        message_id = f"{message.name}.v{message.version}"
        components["messages"][message_id] = _message(message)
        entry["messages"][message.name] = {"$ref": f"#/components/messages/{message_id}"}
        operation = operations.setdefault(
            _operation_id(channel, message),
            {
                "action": "receive" if message.kind == "command" else "send",
                "channel": {"$ref": f"#/channels/{channel}"},
                "summary": (
                    "The service applies these commands."
                    if message.kind == "command"
                    else "The service publishes these events (through its outbox)."
                ),
                "messages": [],
            },
        )
        if message.deprecated:
            operation.update({"tags": [{"name": "deprecated"}], "x-deprecated": True})
        operation["messages"].append({"$ref": f"#/channels/{channel}/messages/{message.name}"})
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": TITLE,
            "version": version or service_version(),
            "description": (
                "Marketing campaigns run with partners for brands. Commands in, integration "
                "events out, on Apache Pulsar. Contract v2: one command stream and one event "
                "stream, keyed by campaign; v1 (a topic per message type) is deprecated."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "pulsar": {
                "host": "localhost:6650",
                "protocol": "pulsar",
                "description": "Apache Pulsar (ALPES_PULSAR_URL); pulsar+ssl on 6651 with TLS.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": components,
    }


def _channel_of(message: Message) -> tuple[str, str]:
    if (message.version, message.kind) in _CHANNELS:
        return _CHANNELS[(message.version, message.kind)]
    kind = "comandos" if message.kind == "command" else "eventos"
    return f"{kind}.{message.name}.v1", f"{_DEPRECATED} Carries {message.name} only."


def _operation_id(channel: str, message: Message) -> str:
    verb = "apply" if message.kind == "command" else "publish"
    return f"{verb}.{channel}"


def _message(message: Message) -> dict[str, Any]:
    doc = (message.body.__doc__ or "").strip().splitlines()
    described = {"summary": doc[0]} if doc else {}
    return {
        "name": message.name,
        "title": f"{message.name} (v{message.version})",
        **described,
        "contentType": "application/json",
        "headers": {"$ref": _REF.format(model=message.properties.__name__)},
        "payload": {"$ref": _REF.format(model=message.body.__name__)},
        "correlationId": {"location": "$message.header#/correlation_id"},
        **({"tags": [{"name": "deprecated"}]} if message.deprecated else {}),
    }


def _schemas(catalog: list[Message]) -> dict[str, Any]:
    models: dict[str, type[BaseModel]] = {}
    for message in catalog:
        models.setdefault(message.body.__name__, message.body)
        models.setdefault(message.properties.__name__, message.properties)
    _, top = models_json_schema(
        [(model, "validation") for model in models.values()], ref_template=_REF
    )
    schemas: dict[str, Any] = top.get("$defs", {})
    deprecated = {m.body.__name__ for m in catalog if m.deprecated}
    deprecated |= {m.properties.__name__ for m in catalog if m.deprecated}
    for name in deprecated:
        schemas[name]["deprecated"] = True
    return dict(sorted(schemas.items()))
