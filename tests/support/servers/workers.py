"""The service's worker processes: `alpes worker run ROLE`, each in its own session, its
log (stderr) appended to a file; started again after a crash, as a supervisor would."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ALPES = str(Path(sys.executable).parent / "alpes")
READY = "Ctrl-C to stop"  # what a worker logs once it is consuming


class WorkerExited(RuntimeError):
    """A worker process ended when it should be running; the message has its log's end."""


def worker_env(
    pulsar_url: str, flavor: str, database_url: str, log_level: str = "WARNING", **extra: str
) -> dict[str, str]:
    """This process's environment without its ALPES_ settings, plus the worker's."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ALPES_")} | {
        "ALPES_PULSAR_URL": pulsar_url,
        "ALPES_PULSAR_FLAVOR": flavor,
        "ALPES_DATABASE_URL": database_url,
        "ALPES_LOG_LEVEL": log_level,
        **extra,
    }


class Worker:
    """One `alpes worker run ROLE` process; its stderr (and with ``stdout=True`` its stdout
    too) appended to ``log``. ``start()`` again after ``kill()`` or an exit."""

    def __init__(
        self, role: str, env: dict[str, str], log: Path, cwd: Path, *, stdout: bool = False
    ) -> None:
        self.role = role
        self.env = env
        self.log = log
        self.cwd = cwd
        self.stdout = stdout
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> "Worker":
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts + 1} at {time.time():.3f}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                [ALPES, "worker", "run", self.role],
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out if self.stdout else subprocess.DEVNULL,
                stderr=out,
                start_new_session=True,
            )
        self.starts += 1
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, f"worker {self.role} was never started"
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 5) -> str:
        text = self.log.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:])

    def check_alive(self) -> None:
        """Raise WorkerExited if the process has ended."""
        if self.process is not None and self.process.poll() is not None:
            raise WorkerExited(
                f"worker {self.role} exited with {self.process.returncode}: {self.tail()}"
            )

    def wait_ready(self, timeout: float = 120) -> None:
        """Until its log says it consumes; WorkerExited if it ends first."""
        deadline = time.monotonic() + timeout
        while READY not in self.log.read_text(errors="replace"):
            self.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker {self.role} did not start within {timeout:g}s")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, in-flight work is cut short."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def terminate(self, timeout: float = 30) -> int | None:
        """SIGTERM, as a supervisor stops it (SIGKILL after ``timeout``); its exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode
