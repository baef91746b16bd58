"""No secret (Pulsar token, database password) is ever printed by the CLI, even when
things fail and even at DEBUG log level."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.embedded_pulsar import free_port

ALPES = str(Path(sys.executable).parent / "alpes")
PASSWORD = "pw-s3cr3t-9f1c"
TOKEN = "tok-s3cr3t-77ab"


def env(level: str = "WARNING") -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ALPES_")}
    return base | {
        "ALPES_DATABASE_URL": f"postgresql://alpes:{PASSWORD}@127.0.0.1:{free_port()}/alpes",
        "ALPES_PULSAR_URL": f"pulsar://127.0.0.1:{free_port()}",
        "ALPES_PULSAR_TOKEN": TOKEN,
        "ALPES_LOG_LEVEL": level,
    }


@pytest.mark.parametrize(
    "args",
    [
        ["db", "upgrade"],
        ["db", "current"],
        ["campaign", "show", "c-1"],
        ["campaign", "list"],
        ["command", "status", "x"],
        ["campaign", "activate", "c-1", "--wait"],
        ["worker", "run", "commands"],
        ["trace", "corr-1"],
        ["command", "list", "--since", "1h"],
        ["status"],
    ],
)
def test_failing_commands_never_print_the_token_or_the_password(args: list[str]) -> None:
    result = subprocess.run([ALPES, *args], env=env(), capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert PASSWORD not in output
    assert TOKEN not in output
    assert "Traceback" not in output


def test_top_shows_an_unreachable_database_in_its_frame_without_the_password() -> None:
    result = subprocess.run(
        [ALPES, "top", "--iterations", "2", "--refresh", "0.1", "--broker-timeout", "1"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert output.count("database not read: ") == 2
    assert "postgresql://alpes:***@127.0.0.1" in output
    assert PASSWORD not in output
    assert TOKEN not in output
    assert "Traceback" not in output


def test_debug_logs_of_a_failing_worker_hold_no_secret() -> None:
    result = subprocess.run(
        [ALPES, "worker", "run", "relay"],
        env=env("DEBUG"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert PASSWORD not in output and TOKEN not in output


def test_an_unreachable_sqlite_database_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [ALPES, "campaign", "list"],
        env=env() | {"ALPES_DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: database: unable to open database file (ALPES_DATABASE_URL)"
    )
