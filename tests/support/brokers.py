"""Real brokers for the tests: pulsar-lite started here, Apache Pulsar standalone started
by .ci/run (or here, when Java and Maven are on the machine)."""

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from adapters.embedded_pulsar import EmbeddedPulsar
from adapters.pulsar import APACHE_PULSAR, PULSAR_LITE, BrokerCapabilities

ROOT = Path(__file__).resolve().parents[2]
STANDALONE_SCRIPT = ROOT / "infra" / "pulsar-standalone" / "pulsar-standalone"


@dataclass
class RealBroker:
    name: str
    url: str
    capabilities: BrokerCapabilities
    kill: Callable[[], None]
    start: Callable[[], None]
    admin_url: str | None = None

    def admin(self, method: str, path: str, body: object | None = None) -> str:
        """Call the admin REST API (Apache Pulsar only)."""
        assert self.admin_url, f"{self.name} has no admin API"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.admin_url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text: str = response.read().decode()
            return text


def lite_broker(lite: EmbeddedPulsar) -> RealBroker:
    def start() -> None:
        lite.start()

    return RealBroker(
        name="pulsar-lite", url=lite.url, capabilities=PULSAR_LITE, kill=lite.kill, start=start
    )


class Standalone:
    """Drives infra/pulsar-standalone/pulsar-standalone with the test ports."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {**os.environ, **env}
        self.broker_port = self.env.get("PULSAR_BROKER_PORT", "6650")
        self.web_port = self.env.get("PULSAR_WEB_PORT", "8080")

    def run(self, command: str, timeout: float = 600) -> None:
        subprocess.run(
            [str(STANDALONE_SCRIPT), command], env=self.env, check=True, timeout=timeout
        )

    def broker(self) -> RealBroker:
        return RealBroker(
            name="apache-pulsar",
            url=f"pulsar://127.0.0.1:{self.broker_port}",
            admin_url=f"http://127.0.0.1:{self.web_port}",
            capabilities=APACHE_PULSAR,
            kill=lambda: self.run("kill9"),
            start=lambda: self.run("start"),
        )


def standalone_unavailable_reason() -> str | None:
    if not STANDALONE_SCRIPT.exists():
        return f"{STANDALONE_SCRIPT} is missing"
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        return f"Apache Pulsar standalone needs {' and '.join(missing)} on PATH"
    return None
