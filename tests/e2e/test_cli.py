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
    example = ROOT / "contracts" / "v1" / "examples" / "crear-campana.json"
    created = alpes(dev, "campaign", "create", "--file", str(example), "--wait")
    assert created.returncode == 0, created.stderr
    command_id = created.stdout.splitlines()[0].removeprefix("command_id: ")
    assert created.stdout.splitlines()[1].startswith("applied: ")

    activated = alpes(dev, "campaign", "activate", "c-12345", "--wait")
    assert activated.returncode == 0, activated.stderr

    deadline = time.monotonic() + 30
    while True:
        shown = alpes(dev, "campaign", "show", "c-12345", "--json")
        if shown.returncode == 0 and json.loads(shown.stdout)["estado"] == "active":
            break
        assert time.monotonic() < deadline, shown.stdout + shown.stderr
        time.sleep(0.2)

    status = alpes(dev, "command", "status", command_id, "--json")
    assert json.loads(status.stdout)["status"] == "applied"
    listed = alpes(dev, "campaign", "list", "--marca", "b-12345", "--json")
    assert [c["id"] for c in json.loads(listed.stdout)] == ["c-12345"]


def test_a_rejected_command_exits_2_with_the_reason(dev: Path) -> None:
    result = alpes(dev, "campaign", "pause", "c-unknown", "--wait")
    assert result.returncode == 2
    assert "UNKNOWN_CAMPAIGN" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["campaign", "create", "--file", "missing.json"], "missing.json"),
        (["campaign", "create", "--id", "c-1", "--nombre", "x"], "MISSING_FIELD"),
        (["campaign", "adjust-budget", "c-1", "--monto", "abc", "--divisa", "USD"],
         "presupuesto.monto"),
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


def test_topics_lists_every_command_and_event_topic(tmp_path: Path) -> None:
    result = alpes(tmp_path, "topics", "--json")
    rows = json.loads(result.stdout)
    assert len([r for r in rows if r["kind"] == "command"]) == 8
    assert len([r for r in rows if r["kind"] == "event"]) == 9


def test_schemas_export_writes_a_json_schema_per_contract(tmp_path: Path) -> None:
    result = alpes(tmp_path, "schemas", "export", "--out", str(tmp_path / "s"))
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert len(files) == 17
    schema = json.loads((tmp_path / "s" / "crear-campana.v1.json").read_text())
    assert schema["additionalProperties"] is False
    assert "presupuesto" in schema["required"]


def test_projections_rebuild_restores_the_view_from_the_event_topics(dev: Path) -> None:
    import sqlite3

    example = ROOT / "contracts" / "v1" / "examples" / "crear-campana.json"
    assert alpes(dev, "campaign", "create", "--file", str(example), "--wait").returncode == 0
    deadline = time.monotonic() + 30
    while alpes(dev, "campaign", "show", "c-12345").returncode != 0:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with sqlite3.connect(dev / "alpes.db") as db:
        db.execute("DELETE FROM campaign_view")
        db.execute("DELETE FROM projected_events")
    assert alpes(dev, "campaign", "show", "c-12345").returncode == 1

    rebuilt = alpes(dev, "projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "events applied" in rebuilt.stdout
    shown = alpes(dev, "campaign", "show", "c-12345", "--json")
    assert json.loads(shown.stdout)["estado"] == "draft"
