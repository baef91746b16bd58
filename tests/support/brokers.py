"""Real brokers as the tests see them: pulsar-lite started here, Apache Pulsar standalone
started by .ci/run (or here, when Java and Maven are on the machine). The servers
themselves are driven by tests.support.servers."""

import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from adapters.embedded_pulsar import EmbeddedPulsar
from adapters.pulsar import APACHE_PULSAR, PULSAR_LITE, BrokerCapabilities
from tests.support.servers.apache_pulsar import Standalone


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


def standalone_broker(standalone: Standalone) -> RealBroker:
    def start() -> None:
        standalone.start()

    return RealBroker(
        name="apache-pulsar",
        url=standalone.url,
        admin_url=standalone.admin_url,
        capabilities=APACHE_PULSAR,
        kill=standalone.kill9,
        start=start,
    )
