"""The `alpes` command line as an administrator uses it: `alpes dev` in one process, the
CLI in others; bad input ends in one clear line and a non-zero exit."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import alpes, running_dev

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.pulsar_lite, pytest.mark.timeout(180)]


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Path]:
    yield from running_dev(tmp_path)


def test_create_wait_show_and_status_through_a_running_dev_service(dev: Path) -> None:
    example = ROOT / "contracts" / "v2" / "examples" / "crear-campana.json"
    created = alpes(
        dev,
        "campaign",
        "create",
        "--file",
        str(example),
        "--wait",
        "--command-id",
        "cli-create-1",
        "--correlation-id",
        "cli-corr",
    )
    assert created.returncode == 0, created.stderr
    command_id = created.stdout.splitlines()[0].removeprefix("command_id: ")
    assert command_id == "cli-create-1"
    assert created.stdout.splitlines()[1].startswith("applied: ")

    stale = alpes(dev, "campaign", "activate", "c-12345", "--expected-version", "7", "--wait")
    assert stale.returncode == 4  # rejected
    assert "VERSION_CONFLICT" in stale.stderr
    activated = alpes(dev, "campaign", "activate", "c-12345", "--expected-version", "1", "--wait")
    assert activated.returncode == 0, activated.stderr

    deadline = time.monotonic() + 30
    while True:
        shown = alpes(dev, "campaign", "show", "c-12345", "--json")
        if shown.returncode == 0 and json.loads(shown.stdout)["estado"] == "active":
            break
        assert time.monotonic() < deadline, shown.stdout + shown.stderr
        time.sleep(0.2)

    status = json.loads(alpes(dev, "command", "status", command_id, "--json").stdout)
    assert (status["status"], status["correlation_id"]) == ("applied", "cli-corr")
    listed = alpes(dev, "campaign", "list", "--marca", "b-12345", "--json")
    assert [c["id"] for c in json.loads(listed.stdout)] == ["c-12345"]


def test_a_rejected_command_exits_4_with_the_reason(dev: Path) -> None:
    result = alpes(dev, "campaign", "pause", "c-unknown", "--wait")
    assert result.returncode == 4
    assert "UNKNOWN_CAMPAIGN" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["campaign", "create", "--file", "missing.json"], "missing.json"),
        (["campaign", "create", "--id", "c-1", "--nombre", "x"], "MISSING_FIELD"),
        (
            ["campaign", "adjust-budget", "c-1", "--monto", "abc", "--divisa", "USD"],
            "presupuesto.monto",
        ),
        (["campaign", "show", "c-none"], "no campaign"),
        (["worker", "run", "nonsense"], "unknown worker"),
        (["events", "tail", "--event", "nope"], "unknown event type"),
    ],
)
def test_bad_input_gives_one_clear_line_and_a_non_zero_exit(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    (tmp_path / "alpes.db").touch()
    alpes(tmp_path, "db", "upgrade")
    result = alpes(tmp_path, *args, timeout=30)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_without_a_broker_the_cli_says_how_to_get_one(tmp_path: Path) -> None:
    result = alpes(tmp_path, "campaign", "activate", "c-1")
    assert result.returncode == 1
    assert "alpes dev" in result.stderr and "ALPES_PULSAR_URL" in result.stderr


def test_a_v1_command_is_sent_on_its_deprecated_topic_and_served(dev: Path) -> None:
    example = ROOT / "contracts" / "v1" / "examples" / "crear-campana.json"
    created = alpes(dev, "campaign", "create", "--file", str(example), "--contract", "1", "--wait")
    assert created.returncode == 0, created.stderr
    refused = alpes(
        dev, "campaign", "activate", "c-12345", "--contract", "1", "--expected-version", "1"
    )
    assert refused.returncode != 0
    assert "--expected-version needs --contract 2" in refused.stderr


def test_topics_lists_both_versions(tmp_path: Path) -> None:
    result = alpes(tmp_path, "topics", "--json")
    rows = json.loads(result.stdout)
    for version, deprecated in ((2, False), (1, True)):
        mine = [r for r in rows if r["version"] == version]
        assert len([r for r in mine if r["kind"] == "command"]) == 8
        assert len([r for r in mine if r["kind"] == "event"]) == 9
        assert {r["deprecated"] for r in mine} == {deprecated}
    v2_topics = {r["topic"] for r in rows if r["version"] == 2}
    assert v2_topics == {
        "persistent://public/default/alpes.campanas.comandos.v2",
        "persistent://public/default/alpes.campanas.eventos.v2",
    }


def test_schemas_export_writes_every_schema_and_the_asyncapi_document(tmp_path: Path) -> None:
    out = tmp_path / "s"
    result = alpes(tmp_path, "schemas", "export", "--out", str(out))
    assert result.returncode == 0, result.stderr
    for version in (1, 2):
        assert len(list((out / f"v{version}" / "commands").glob("*.json"))) == 8
        assert len(list((out / f"v{version}" / "events").glob("*.json"))) == 9
        assert (out / f"v{version}" / "properties" / "command.json").exists()
    schema = json.loads((out / "v2" / "commands" / "crear-campana.json").read_text())
    assert schema["additionalProperties"] is False
    assert "campana_id" in schema["required"]
    assert json.loads((out / "v1" / "commands" / "crear-campana.json").read_text())["deprecated"]
    asyncapi = json.loads((out / "asyncapi.json").read_text())
    assert asyncapi["info"]["title"] == "Alpes Partners campaign service"


def test_projections_rebuild_restores_the_view_from_the_event_stream(dev: Path) -> None:
    import sqlite3

    example = ROOT / "contracts" / "v2" / "examples" / "crear-campana.json"
    assert alpes(dev, "campaign", "create", "--file", str(example), "--wait").returncode == 0
    deadline = time.monotonic() + 30
    while alpes(dev, "campaign", "show", "c-12345").returncode != 0:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with sqlite3.connect(dev / "alpes.db") as db:
        db.execute("DELETE FROM campaign_view")
        db.execute("DELETE FROM projected_events")
    assert alpes(dev, "campaign", "show", "c-12345").returncode == 3

    unconfirmed = alpes(dev, "projections", "rebuild")  # no terminal to ask on
    assert unconfirmed.returncode == 2
    assert unconfirmed.stderr.strip() == "error: this empties the read store: confirm with --yes"
    assert alpes(dev, "campaign", "show", "c-12345").returncode == 3  # still empty

    rebuilt = alpes(dev, "projections", "rebuild", "--yes")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "events applied" in rebuilt.stdout
    assert "events replayed" in rebuilt.stderr  # progress
    shown = alpes(dev, "campaign", "show", "c-12345", "--json")
    assert json.loads(shown.stdout)["estado"] == "draft"
