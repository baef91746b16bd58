"""`alpes dlq` as an operator uses it: `alpes dev` runs the service, a command that is not
even JSON is dead-lettered by it, and the CLI lists, shows, dry-runs and purges it."""

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.topics import COMMAND_TOPICS
from tests.support.cli import alpes, running_dev
from tests.support.raw import raw_publish
from workers.commands import SUBSCRIPTION

CREAR_DLQ = f"{COMMAND_TOPICS['crear-campana']}-{SUBSCRIPTION}-DLQ".rsplit("/", 1)[-1]

pytestmark = [pytest.mark.pulsar_lite, pytest.mark.timeout(240)]


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Path]:
    yield from running_dev(tmp_path)


def dlq_list(folder: Path) -> dict[str, Any]:
    result = alpes(folder, "dlq", "list", "--json")
    assert result.returncode == 0, result.stderr
    listing: dict[str, Any] = json.loads(result.stdout)
    return listing


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_malformed_command_is_listed_shown_left_by_a_dry_run_and_purged(dev: Path) -> None:
    url = (dev / "pulsar-lite" / "url").read_text().strip()
    asyncio.run(raw_publish(url, COMMAND_TOPICS["crear-campana"], b"not json {", key="c-dlq"))

    deadline = time.monotonic() + 60
    while (listing := dlq_list(dev))["total"] == 0:
        assert time.monotonic() < deadline, "the malformed command was not dead-lettered"
        time.sleep(0.5)
    [parked] = listing["messages"]
    assert listing["counts"][CREAR_DLQ] == 1
    assert len(listing["counts"]) == 11  # v2 stream + 8 v1 topics; 2 event-stream DLQs
    assert parked["dlq"] == CREAR_DLQ
    assert parked["reason"] == "malformed_message"
    assert parked["key"] == "c-dlq"
    assert parked["body_preview"] == "not json {"

    shown = alpes(dev, "dlq", "show", parked["message_id"], "--json")
    assert shown.returncode == 0, shown.stderr
    full = json.loads(shown.stdout)
    assert full["body"] == "not json {"
    assert full["properties"]["DLQ_REASON"] == "malformed_message"
    assert full["properties"]["REAL_TOPIC"] == COMMAND_TOPICS["crear-campana"]

    human = alpes(dev, "dlq", "list")
    assert human.returncode == 0, human.stderr
    header, *rows = [line.split() for line in human.stdout.splitlines() if line.strip()]
    assert header[:3] == ["dlq", "message", "id"]
    assert [CREAR_DLQ, parked["message_id"], "malformed_message"] in [r[:3] for r in rows]
    assert "1 dead letter(s) in 1 of 11 DLQ topic(s)" in human.stdout

    dry = alpes(dev, "dlq", "redrive", "--all", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would redrive {CREAR_DLQ}@{parked['message_id']}" in dry.stdout
    # A real redrive would have sent it back and the service parked it again, anew.
    time.sleep(2)
    after_dry = dlq_list(dev)
    assert [m["message_id"] for m in after_dry["messages"]] == [parked["message_id"]]

    refused = alpes(dev, "dlq", "purge")
    assert refused.returncode == 2  # usage
    assert "--all" in one_line_error(refused)
    assert dlq_list(dev)["total"] == 1

    purged = alpes(dev, "dlq", "purge", "--all")
    assert purged.returncode == 0, purged.stderr
    assert f"purged {CREAR_DLQ}@{parked['message_id']}" in purged.stdout
    assert dlq_list(dev)["total"] == 0

    nothing = alpes(dev, "dlq", "purge", "--all")
    assert nothing.returncode == 3
    assert "no dead letters" in one_line_error(nothing)
    missing = alpes(dev, "dlq", "show", parked["message_id"])
    assert missing.returncode == 3
    assert parked["message_id"] in one_line_error(missing)


def test_dlq_commands_refuse_bad_selections_in_one_line(tmp_path: Path) -> None:
    both = alpes(tmp_path, "dlq", "redrive", "--all", "--id", "(1,2,-1,-1)")
    assert both.returncode == 2
    assert "not both" in one_line_error(both)
    unknown = alpes(tmp_path, "dlq", "list", "--subscription", "alpes-nadie")
    assert unknown.returncode == 2
    assert "alpes-campanas" in one_line_error(unknown)
    no_broker = alpes(tmp_path, "dlq", "list")
    assert no_broker.returncode == 1
    assert "alpes dev" in one_line_error(no_broker)
