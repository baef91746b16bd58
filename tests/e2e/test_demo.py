"""The quick start's `alpes demo` and the AsyncAPI document, run as a user runs them."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def alpes() -> list[str]:
    found = shutil.which("alpes", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, str(ROOT / "cli.py")]


@pytest.mark.pulsar_lite
def test_alpes_demo_runs_the_seed_campaign_through_the_service_and_exits_zero(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [*alpes(), "demo", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "-> v2 crear-campana          c-12345  applied" in out
    assert "-> v1 agregar-participante   c-12345  applied" in out
    assert "rejected UNKNOWN_CAMPAIGN" in out
    assert sum("<- " in line for line in out.splitlines()) == 7
    view = json.loads(out[out.index("{") : out.rindex("}") + 1])
    assert (view["id"], view["estado"], view["version"]) == ("c-12345", "active", 6)
    assert view["monto"] == "18000.00"
    ok, follow = out.rstrip().splitlines()[-2:]
    assert ok.startswith("ok: 7 commands, 6 applied, 1 rejected")
    notifications = (tmp_path / "notifications.jsonl").read_text().splitlines()
    assert len(notifications) == 7
    assert "Traceback" not in result.stderr

    # The last line is a command an operator can paste: it traces the whole story.
    setting, command, *arguments = follow.removeprefix("follow them: ").split()
    assert (Path(command).name, arguments[0]) == ("alpes", "trace")
    variable, url = setting.split("=", 1)
    traced = subprocess.run(
        [*alpes(), *arguments, "--json"],
        env=dict(os.environ) | {variable: url},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert traced.returncode == 0, traced.stderr
    trace = json.loads(traced.stdout)
    statuses = [c["status"] for c in trace["commands"]]
    assert statuses == ["applied"] * 6 + ["rejected"]
    caused = [event["event_type"] for command in trace["commands"] for event in command["events"]]
    assert caused[0] == "campana-creada" and caused[-1] == "comando-rechazado"
    assert len(caused) == 7


def test_faststream_docs_gen_writes_the_asyncapi_document_of_the_service(
    tmp_path: Path,
) -> None:
    out = tmp_path / "asyncapi.json"
    faststream = Path(sys.executable).parent / "faststream"
    subprocess.run(
        [str(faststream), "docs", "gen", "workers.app:app", "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=60,
        cwd=ROOT,
    )
    document = json.loads(out.read_text())
    assert document["asyncapi"].startswith("3.")
    assert next(iter(document["servers"].values()))["protocol"] == "pulsar"
    addresses = {c["address"] for c in document["channels"].values()}
    prefix = "persistent://public/default/alpes.campanas"
    assert f"{prefix}.comandos.crear-campana.v1" in addresses
    assert f"{prefix}.eventos.campana-creada.v1" in addresses
    assert "CampanaCreadaV1" in document["components"]["schemas"]
    assert "ComandoRechazadoV1" in document["components"]["schemas"]
