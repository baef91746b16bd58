"""Running `alpes` as an administrator does: `alpes dev` in one process, the CLI in others."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

ALPES = [str(Path(sys.executable).parent / "alpes")]


def env_for(folder: Path) -> dict[str, str]:
    """The environment of an `alpes` process whose data lives in ``folder``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALPES_")}
    return env | {
        "ALPES_DATA_DIR": str(folder),
        "ALPES_DATABASE_URL": f"sqlite:///{folder / 'alpes.db'}",
        "ALPES_NOTIFICATION_FILE": str(folder / "notifications.jsonl"),
    }


def alpes(
    folder: Path, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`alpes ARGS` with its data in ``folder``; ``env`` adds or overrides variables."""
    return subprocess.run(
        [*ALPES, *args],
        env=env_for(folder) | (env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=folder,
    )


def running_dev(folder: Path, env: Mapping[str, str] | None = None) -> Iterator[Path]:
    """`alpes dev` (embedded broker, SQLite, every worker) running in ``folder`` until the
    generator is closed; it must then stop cleanly on SIGTERM. ``env``: more settings."""
    process = subprocess.Popen(
        [*ALPES, "dev"],
        env=env_for(folder) | dict(env or {}),
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url_file = folder / "pulsar-lite" / "url"
    deadline = time.monotonic() + 60
    # try/finally: the process is stopped however the generator ends, also by close()
    # (which resumes it with GeneratorExit, not past its yield) or a failed start.
    try:
        while not (url_file.exists() and (folder / "alpes.db").exists()):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "alpes dev did not start"
            time.sleep(0.1)
        time.sleep(1)  # the workers subscribe right after the URL is written
        yield folder
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, process.communicate()
