"""The embedded default broker: pulsar-lite, started on a free loopback port.

pulsar-lite speaks the Pulsar protocol in one small process, so a laptop needs no JVM.
Only part of Pulsar works on it (see adapters.pulsar.capabilities.PULSAR_LITE); its
metrics endpoint, which would listen on 0.0.0.0:8080, is switched off.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from pulsar_lite.binary_finder import find_pulsar_lite_binary

_CONFIG = "[metrics]\nenabled = false\n"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent to reap it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


class EmbeddedPulsar:
    """A pulsar-lite process keeping its data in ``data_dir`` (kept across restarts)."""

    def __init__(self, data_dir: Path, port: int | None = None, log_level: str = "warn") -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.log_level = log_level
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"pulsar://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "pulsar-lite.log"

    @property
    def pid_path(self) -> Path:
        return self.data_dir / "pulsar-lite.pid"

    def _stop_leftover(self) -> None:
        """Stop a pulsar-lite that an earlier process left running on this folder (it
        runs in its own session, so it outlives a SIGKILLed parent): it would hold the
        database, and the consumers of the dead process with it."""
        try:
            pid = int(self.pid_path.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            return
        if "pulsar-lite" not in cmdline or str(self.data_dir / "broker.db") not in cmdline:
            return  # the pid has been reused by something else
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)

    def start(self, timeout: float = 15.0) -> "EmbeddedPulsar":
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stop_leftover()
        config = self.data_dir / "pulsar-lite.toml"
        config.write_text(_CONFIG)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    find_pulsar_lite_binary(),
                    "--addr",
                    f"127.0.0.1:{self.port}",
                    "--db-path",
                    str(self.data_dir / "broker.db"),
                    "--log-level",
                    self.log_level,
                    "--config",
                    str(config),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C in the terminal is ours to handle
            )
        self.pid_path.write_text(str(self._process.pid))
        self._wait_until_listening(timeout)
        return self

    def _wait_until_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"pulsar-lite exited with code {self._process.returncode} on start; "
                    f"see {self.log_path}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.kill()
        raise TimeoutError(f"pulsar-lite did not listen on port {self.port} within {timeout}s")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self, timeout: float = 10.0) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        self.pid_path.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL, as a crash would: for tests of what survives it."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self._process = None

    def __enter__(self) -> "EmbeddedPulsar":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
