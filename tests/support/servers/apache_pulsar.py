"""Apache Pulsar standalone, driven through infra/pulsar-standalone/pulsar-standalone: the
ports and data directory of its environment, plain or with security on (``--secure``:
token authentication, authorization and TLS only)."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from adapters.embedded_pulsar import free_port

ROOT = Path(__file__).resolve().parents[3]
STANDALONE_SCRIPT = ROOT / "infra" / "pulsar-standalone" / "pulsar-standalone"


class StandaloneError(RuntimeError):
    """The script failed or did not finish; the message says how."""


class Standalone:
    """One standalone, as the script's environment names it: ``PULSAR_STANDALONE_DATA``,
    ``PULSAR_BROKER_PORT``, ``PULSAR_WEB_PORT``, ``PULSAR_BOOKIE_PORT`` (over
    ``os.environ``; unset, the script's defaults)."""

    def __init__(self, env: Mapping[str, str] | None = None, *, secure: bool = False) -> None:
        self.env = {**os.environ, **(env or {})}
        self.secure = secure
        self._folder: Path | None = None  # made by private(), deleted by remove()
        default_broker, default_web = ("6751", "8181") if secure else ("6650", "8080")
        self.broker_port = self.env.get("PULSAR_BROKER_PORT", default_broker)
        self.web_port = self.env.get("PULSAR_WEB_PORT", default_web)

    @classmethod
    def private(
        cls, data: Path | None = None, *, secure: bool = False, start_timeout: float | None = None
    ) -> "Standalone":
        """A standalone of our own on free ports, so that it runs beside any other (the
        developer's on 6650/8080 is neither used nor stopped), its data in ``data`` or, when
        None, in a new temporary folder that ``remove()`` deletes (the script keeps a lock
        file next to the data directory: the folder holds both)."""
        folder = None
        if data is None:
            folder = Path(tempfile.mkdtemp(prefix="alpes-pulsar-standalone-"))
            data = folder / "data"
        env = {
            "PULSAR_STANDALONE_DATA": str(data),
            "PULSAR_BROKER_PORT": str(free_port()),
            "PULSAR_WEB_PORT": str(free_port()),
            "PULSAR_BOOKIE_PORT": str(free_port()),
        }
        if start_timeout is not None:
            env["PULSAR_START_TIMEOUT"] = str(int(start_timeout))
        standalone = cls(env, secure=secure)
        standalone._folder = folder
        return standalone

    @property
    def url(self) -> str:
        scheme = "pulsar+ssl" if self.secure else "pulsar"
        return f"{scheme}://127.0.0.1:{self.broker_port}"

    @property
    def admin_url(self) -> str:
        return f"{'https' if self.secure else 'http'}://127.0.0.1:{self.web_port}"

    @property
    def data(self) -> Path | None:
        data = self.env.get("PULSAR_STANDALONE_DATA")
        return Path(data) if data else None

    @property
    def pid(self) -> int | None:
        """The broker's JVM, from the script's pid file."""
        if self.data is None:
            return None
        try:
            return int((self.data / "pulsar-standalone.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def run(self, command: str, timeout: float = 600) -> dict[str, str]:
        """``pulsar-standalone [--secure] COMMAND``; the ``NAME=VALUE`` lines it prints
        (``start`` prints ``PULSAR_SERVICE_URL``, ``PULSAR_WEB_URL`` and, secured, the
        paths of the CA, the token key and the superuser's token)."""
        args = [str(STANDALONE_SCRIPT), *(["--secure"] if self.secure else []), command]
        try:
            done = subprocess.run(
                args, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise StandaloneError(
                f"'pulsar-standalone {command}' did not finish within {timeout:g}s"
            ) from None
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if "ERROR" in ln]
            lines = lines or done.stderr.splitlines()
            raise StandaloneError(
                f"'pulsar-standalone {command}' failed (exit {done.returncode}): "
                + (lines[-1].strip() if lines else "no output")
            )
        return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)

    def start(self, timeout: float = 600) -> dict[str, str]:
        """Start it, or find it running; the first start on a machine fetches the runtime
        from Maven Central."""
        return self.run("start", timeout)

    def stop(self, timeout: float = 600) -> None:
        self.run("stop", timeout)

    def kill9(self) -> None:
        """SIGKILL, as a crash would."""
        self.run("kill9")

    def remove(self, timeout: float = 90) -> None:
        """Stop it and delete the folder ``private()`` made; if it does not stop, the
        StandaloneError says so and the files stay."""
        self.stop(timeout)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def unavailable_reason(tools: Sequence[str] = ("java", "mvn")) -> str | None:
    """Why a standalone cannot be started here, or None. ``mvn`` is needed only to fetch
    the runtime the first time."""
    if not STANDALONE_SCRIPT.exists():
        return f"{STANDALONE_SCRIPT} is missing"
    if not os.access(STANDALONE_SCRIPT, os.X_OK):
        return f"{STANDALONE_SCRIPT} is not executable"
    missing = [tool for tool in tools if not _found(tool)]
    if missing:
        return f"Apache Pulsar standalone needs {' and '.join(missing)} on PATH"
    return None


def _found(tool: str) -> bool:
    if shutil.which(tool) is not None:
        return True
    java_home = os.environ.get("JAVA_HOME")  # the script runs $JAVA_HOME/bin/java if set
    return tool == "java" and bool(java_home) and Path(java_home or "", "bin", "java").exists()
