"""What every benchmark shares: printing, the machine it ran on, quiet loggers, its
error, and stopping cleanly on SIGTERM."""

import logging
import os
import platform
from pathlib import Path
from typing import Any

import pulsar

ROOT = Path(__file__).resolve().parents[1]

# The C++ client logs through this logger (the adapter hands it over, and so do we).
CLIENT_LOGGER = logging.getLogger("pulsar.client")
# FastStream logs every message at INFO: give the adapter a logger that drops them,
# as a production set-up logging at WARNING would.
ADAPTER_LOGGER = logging.getLogger("bench.faststream")


class BenchError(RuntimeError):
    pass


def say(text: str = "") -> None:
    print(text, flush=True)


def quiet_logs() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    CLIENT_LOGGER.setLevel(logging.WARNING)
    ADAPTER_LOGGER.setLevel(logging.WARNING)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"pulsar-client {pulsar.__version__}, load average {load}"
    )


def exit_on_sigterm(signum: int, frame: Any) -> None:
    """A SIGTERM handler: unwind through the finally blocks, so that the servers and
    workers a run started are stopped."""
    raise SystemExit(128 + signum)
