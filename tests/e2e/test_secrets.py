"""No secret (Pulsar token, database password) is ever printed by the CLI, even when
things fail and even at DEBUG log level."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


# Arguments that let each command get as far as its settings and its first connection.
ARGUMENTS: dict[tuple[str, ...], list[str]] = {
    ("campaign", "create"): ["--id", "c-1", "--nombre", "x"],
    ("campaign", "activate"): ["c-1"],
    ("campaign", "pause"): ["c-1"],
    ("campaign", "resume"): ["c-1"],
    ("campaign", "finish"): ["c-1"],
    ("campaign", "add-participant"): ["c-1", "--id", "p-1", "--tipo", "Affiliate", "--nombre", "x"],
    ("campaign", "remove-participant"): ["c-1", "p-1"],
    ("campaign", "adjust-budget"): ["c-1", "--monto", "1", "--divisa", "USD"],
    ("campaign", "show"): ["c-1"],
    ("command", "status"): ["x"],
    ("worker", "run"): ["relay"],
    ("dlq", "show"): ["(1,2,-1,-1)"],
    ("dlq", "redrive"): ["--all", "--dry-run"],
    ("dlq", "purge"): ["--all", "--dry-run"],
    ("projections", "rebuild"): ["--yes"],
    ("trace",): ["corr-1"],
    ("top",): ["--iterations", "2", "--refresh", "0.1"],  # it runs until Ctrl-C otherwise
}
# Not run here: they start services of their own (tested elsewhere).
STARTS_SERVICES = {("demo",), ("dev",)}


def command_paths() -> list[tuple[str, ...]]:
    """Every command of `alpes`, as the words that name it."""
    import typer

    from cli import app

    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):  # a group
            if getattr(command, "invoke_without_command", False) and path:
                paths.append(path)
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        else:
            paths.append(path)

    walk(typer.main.get_command(app), ())
    return [p for p in paths if p not in STARTS_SERVICES]


def bad_settings(case: str, password: str, token: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ALPES_")}
    base |= {
        "ALPES_PULSAR_TOKEN": token,
        "ALPES_PULSAR_ADMIN_TOKEN": token,
        "ALPES_SMTP_PASSWORD": password,
    }
    if case == "refused":  # a database URL the service does not take, with a password in it
        return base | {"ALPES_DATABASE_URL": f"mysql://alpes:{password}@db/alpes"}
    if case == "garbled":  # not even a URL
        return base | {"ALPES_DATABASE_URL": f"postgresql://alpes:{password}@[::1/alpes"}
    # A database that is not there, with logs at DEBUG.
    return base | {
        "ALPES_DATABASE_URL": f"postgres://alpes:{password}@127.0.0.1:{free_port()}/alpes",
        "ALPES_READONLY_DATABASE_URL": f"postgresql://ro:{password}@127.0.0.1:{free_port()}/a",
        "ALPES_MIGRATION_DATABASE_URL": f"postgresql://own:{password}@127.0.0.1:{free_port()}/a",
        "ALPES_PULSAR_URL": "pulsar+ssl://127.0.0.1:1",
        "ALPES_PULSAR_ADMIN_URL": f"https://admin:{password}@127.0.0.1:1",
        "ALPES_LOG_LEVEL": "DEBUG",
    }


@pytest.mark.timeout(600)
@pytest.mark.parametrize("case", ["refused", "garbled", "away"])
def test_no_command_ever_shows_a_password_or_token_whatever_the_settings(
    tmp_path: Path, case: str
) -> None:
    import secrets

    paths = command_paths()
    unknown = [p for p in paths if p not in ARGUMENTS and _needs_arguments(p)]
    assert not unknown, f"commands without test arguments here: {unknown}"
    password, token = f"pw-{secrets.token_hex(8)}", f"tok-{secrets.token_hex(8)}"
    leaks = {}
    for path in paths:
        result = subprocess.run(
            [ALPES, *path, *ARGUMENTS.get(path, [])],
            env=bad_settings(case, password, token),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
        )
        output = result.stdout + result.stderr
        if password in output or token in output or "Traceback" in output:
            leaks[" ".join(path)] = output[-500:]
    assert leaks == {}


def _needs_arguments(path: tuple[str, ...]) -> bool:
    import typer

    from cli import app

    command: Any = typer.main.get_command(app)
    for word in path:
        command = command.commands[word]
    return any(p.required for p in command.params)
