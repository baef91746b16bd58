"""The edges an operator meets first, through the installed `alpes` in real processes: a
broker or database that never answers, wrong settings, the version, stdin, exit codes."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import alpes, env_for

ALPES = str(Path(sys.executable).parent / "alpes")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.timeout(120)]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server, a firewall
    that lets the handshake through): only a timeout ends a wait on it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def run(
    folder: Path, *args: str, **settings: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [ALPES, *args],
        env=env_for(folder) | settings,
        capture_output=True,
        text=True,
        timeout=90,
        cwd=folder,
    )
    return result, time.monotonic() - started


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_a_broker_that_never_answers_is_one_line_within_its_timeout(
    tmp_path: Path, silent_port: int
) -> None:
    result, took = run(
        tmp_path,
        "campaign",
        "activate",
        "c-1",
        ALPES_PULSAR_URL=f"pulsar://127.0.0.1:{silent_port}",
        ALPES_PULSAR_FLAVOR="apache",
    )
    assert result.returncode == 1
    line = one_line(result)  # no pulsar-client log line around it
    assert f"127.0.0.1:{silent_port}" in line and "ALPES_PULSAR_URL" in line
    assert "within 10s" in line
    assert took < 20, took  # 10 s connect timeout, plus starting Python


def test_a_broker_port_nothing_listens_on_is_named_as_such(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port just free: connections to it are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result, _ = run(
        tmp_path,
        "campaign",
        "activate",
        "c-1",
        ALPES_PULSAR_URL=f"pulsar://127.0.0.1:{port}",
        ALPES_PULSAR_FLAVOR="apache",
    )
    assert result.returncode == 1
    line = one_line(result)
    assert f"127.0.0.1:{port} refused the connection" in line and "ALPES_PULSAR_URL" in line
    assert "did not answer" not in line


def test_a_database_that_never_answers_is_one_line_within_its_timeout(
    tmp_path: Path, silent_port: int
) -> None:
    url = f"postgresql://alpes:pw-8d1e@127.0.0.1:{silent_port}/alpes"
    result, took = run(tmp_path, "campaign", "list", ALPES_DATABASE_URL=url)
    assert result.returncode == 1
    line = one_line(result)
    assert "ALPES_DATABASE_URL" in line and "did not answer within 10s" in line
    assert "pw-8d1e" not in line and "alpes:***@" in line
    assert took < 20, took


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "ALPES_PULSAR_FLAVOR",
            "banana",
            "ALPES_PULSAR_FLAVOR: Input should be 'apache' or 'lite'",
        ),
        ("ALPES_NOTIFICATION_SENDER", "pigeon", "ALPES_NOTIFICATION_SENDER: Input should be"),
        ("ALPES_LOG_LEVEL", "LOUD", "ALPES_LOG_LEVEL: Input should be"),
        ("ALPES_OUTBOX_RETENTION", "a week", "ALPES_OUTBOX_RETENTION: expected a duration"),
        ("ALPES_COMMAND_CONCURRENCY", "many", "ALPES_COMMAND_CONCURRENCY"),
    ],
)
def test_a_wrong_setting_is_a_usage_error_naming_the_variable(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    result, _ = run(tmp_path, "campaign", "list", **{variable: value})
    assert result.returncode == 2
    assert expected in one_line(result)


@pytest.mark.parametrize(
    "url", ["mysql://alpes:s3cret-x1@db/alpes", "postgres//alpes:s3cret-x1@db", "::s3cret-x1"]
)
def test_an_unsupported_database_url_is_refused_without_being_shown(
    tmp_path: Path, url: str
) -> None:
    result, _ = run(tmp_path, "db", "upgrade", ALPES_DATABASE_URL=url)
    assert result.returncode == 2
    line = one_line(result)
    assert "ALPES_DATABASE_URL" in line
    assert "s3cret-x1" not in result.stdout + result.stderr


def test_a_postgres_url_as_hosting_platforms_write_it_is_accepted(
    tmp_path: Path, postgres_server: str
) -> None:
    # postgresql://... from the test server, written the way many platforms hand it out.
    url = "postgres://" + postgres_server.split("://", 1)[1]
    result, _ = run(tmp_path, "db", "current", "--json", ALPES_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result, _ = run(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"alpes {version('alpespartners')}"


def test_a_command_body_can_come_from_stdin(tmp_path: Path) -> None:
    # No broker: the body is read and checked first, so a bad one is refused on its own.
    result = subprocess.run(
        [ALPES, "campaign", "create", "--file", "-"],
        input='{"nombre": "sin id"}',
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 4, result.stderr  # rejected by the contract
    assert "MISSING_FIELD (campana_id)" in one_line(result)


def test_a_rebuild_without_yes_and_without_a_terminal_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "alpes.db").touch()
    alpes(tmp_path, "db", "upgrade")
    before = (tmp_path / "alpes.db").read_bytes()
    result = subprocess.run(
        [ALPES, "projections", "rebuild"],
        stdin=subprocess.DEVNULL,
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "--yes" in one_line(result)
    assert (tmp_path / "alpes.db").read_bytes() == before


def test_the_exit_codes_are_listed_in_the_help(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "--help")
    text = " ".join(result.stdout.split())
    for code in ("0 done", "1 could not be done", "2 usage", "3 nothing to show", "4 the command"):
        assert code in text
