"""The quick start's `alpes demo` and the AsyncAPI generation, run as a user runs them."""

import json
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
def test_alpes_demo_runs_the_pipeline_on_the_embedded_broker_and_exits_zero(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [*alpes(), "demo", "--count", "4", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("<- event") for line in lines) == 4
    assert "Hola, Partner 4" in result.stdout
    assert lines[-1] == "ok: 4 commands applied, 4 events received"
    assert "Traceback" not in result.stderr


def test_faststream_docs_gen_writes_an_asyncapi_document_for_the_pulsar_app(
    tmp_path: Path,
) -> None:
    out = tmp_path / "asyncapi.json"
    faststream = Path(sys.executable).parent / "faststream"
    subprocess.run(
        [str(faststream), "docs", "gen", "workers.demo:app", "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=60,
        cwd=ROOT,
    )
    document = json.loads(out.read_text())
    assert document["asyncapi"].startswith("3.")
    assert next(iter(document["servers"].values()))["protocol"] == "pulsar"
    addresses = {c["address"] for c in document["channels"].values()}
    assert "persistent://public/default/alpes.demo.comandos.saludar.v1" in addresses
    assert "persistent://public/default/alpes.demo.eventos.saludado.v1" in addresses
    assert "Saludado" in document["components"]["schemas"]
