"""Every message of every contract version, with its topic, body and properties models:
what the JSON Schemas, the compatibility gate and the AsyncAPI document are made from."""

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from . import v1, v2
from .topics import COMMAND_TOPICS, COMMANDS_V2, EVENT_TOPICS, EVENTS_V2
from .v1.properties import CommandPropertiesV1, EventPropertiesV1
from .v2.properties import CommandPropertiesV2, EventPropertiesV2

Kind = Literal["command", "event"]
VERSIONS = (2, 1)
DEPRECATED = frozenset({1})


@dataclass(frozen=True, slots=True)
class Message:
    version: int
    kind: Kind
    name: str  # e.g. "crear-campana"
    topic: str
    body: type[BaseModel]
    properties: type[BaseModel]

    @property
    def path(self) -> str:
        """Where its JSON Schema is kept, e.g. ``v2/commands/crear-campana.json``."""
        return f"v{self.version}/{self.kind}s/{self.name}.json"

    @property
    def deprecated(self) -> bool:
        return self.version in DEPRECATED

    @property
    def consumed_by_the_service(self) -> bool:
        """Commands come in (others produce them); events go out (others consume them)."""
        return self.kind == "command"


def properties_path(version: int, kind: Kind) -> str:
    return f"v{version}/properties/{kind}.json"


def messages() -> list[Message]:
    found = [
        Message(2, "command", name, COMMANDS_V2, model, CommandPropertiesV2)
        for name, model in v2.COMMANDS.items()
    ]
    found += [
        Message(2, "event", name, EVENTS_V2, model, EventPropertiesV2)
        for name, model in v2.EVENTS.items()
    ]
    found += [
        Message(1, "command", name, COMMAND_TOPICS[name], model, CommandPropertiesV1)
        for name, model in v1.COMMANDS.items()
    ]
    found += [
        Message(1, "event", name, EVENT_TOPICS[name], model, EventPropertiesV1)
        for name, model in v1.EVENTS.items()
    ]
    return found


def json_schemas() -> dict[str, dict[str, Any]]:
    """Every body's and every properties' JSON Schema, by the path it is kept at."""
    schemas: dict[str, dict[str, Any]] = {}
    for message in messages():
        schemas[message.path] = _schema(message.body, f"{message.kind} {message.name}", message)
        path = properties_path(message.version, message.kind)
        schemas[path] = _schema(message.properties, f"{message.kind} properties", message)
    return dict(sorted(schemas.items()))


def _schema(model: type[BaseModel], what: str, message: Message) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema["$id"] = f"alpes.campanas.v{message.version}.{what.replace(' ', '.')}"
    if message.deprecated:
        schema["deprecated"] = True
    return schema
