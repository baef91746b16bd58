"""The compatibility gate: the JSON Schemas of every released message are committed in
contracts/schemas/, and the code may change them only compatibly."""

import json
from pathlib import Path

import pytest

from contracts.asyncapi import document
from contracts.catalog import json_schemas
from contracts.compatibility import breaking_changes

RELEASED = Path(__file__).resolve().parents[3] / "contracts" / "schemas"
CURRENT = json_schemas()
EXPORT = "alpes schemas export --out contracts/schemas"


def released() -> dict[str, dict[str, object]]:
    return {
        str(path.relative_to(RELEASED)): json.loads(path.read_text())
        for path in sorted(RELEASED.glob("v*/**/*.json"))
    }


def test_no_released_message_is_gone() -> None:
    missing = sorted(set(released()) - set(CURRENT))
    assert missing == [], f"released messages the code no longer has: {missing}"


@pytest.mark.parametrize("path", sorted(released()))
def test_a_released_message_changes_only_compatibly(path: str) -> None:
    """Commands (consumed) must still accept what they accepted; events (produced) must
    still fit what consumers were promised."""
    consumed = "/commands/" in path or path.endswith("/command.json")
    problems = breaking_changes(released()[path], CURRENT[path], consumed=consumed)
    assert problems == [], (
        f"{path} is released: an incompatible change belongs in a new version beside it, "
        f"not in this one. What broke: " + "; ".join(problems)
    )


def test_every_message_of_the_code_is_released_as_the_code_says() -> None:
    """A compatible change (or a new message) is released by exporting the schemas."""
    stale = sorted(p for p, schema in CURRENT.items() if released().get(p) != schema)
    assert stale == [], f"run `{EXPORT}` and commit the result; out of date: {stale}"
    asyncapi = json.loads((RELEASED / "asyncapi.json").read_text())
    assert asyncapi == document(), f"run `{EXPORT}`: asyncapi.json is out of date"
