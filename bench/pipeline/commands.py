"""The commands a benchmark sends: the seed project's ``crear-campana`` with unique
campaign and command ids, on the v1 topic or the v2 stream."""

from __future__ import annotations

import json
import uuid
from typing import Any

from contracts.examples import example
from contracts.topics import command_topic, event_topic

COMMAND = "crear-campana"


EVENT = "campana-creada"


COMMAND_TOPIC = command_topic(COMMAND)


EVENT_TOPIC = event_topic(EVENT)


_SEEDS: dict[int, dict[str, Any]] = {v: json.loads(example(COMMAND, v)) for v in (1, 2)}


def command_body(campaign_id: str, contract: int = 1) -> bytes:
    """The seed project's ``crear-campana`` JSON (in the contract version's shape) with
    another campaign id."""
    id_field = "campana_id" if contract == 2 else "id"
    return json.dumps(_SEEDS[contract] | {id_field: campaign_id}, ensure_ascii=False).encode()


def run_tag() -> str:
    return uuid.uuid4().hex[:8]


def campaign_id(tag: str, i: int) -> str:
    return f"c-{tag}-{i}"


def command_id(tag: str, i: int) -> str:
    return f"b-{tag}-{i}"


def index_of(command_id_: str, tag: str) -> int | None:
    prefix = f"b-{tag}-"
    if not command_id_.startswith(prefix):
        return None
    return int(command_id_[len(prefix) :])
