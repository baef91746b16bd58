"""The operations endpoint: what each path answers, on a real socket."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from adapters.telemetry.endpoint import OpsEndpoint

pytestmark = pytest.mark.timeout(30)


async def get(url: str, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split(" ")[1]), headers, body


class Checks:
    def __init__(self) -> None:
        self.broker = (True, "connected")
        self.database: tuple[bool, str] | Exception = (True, "at head")

    async def check_broker(self) -> tuple[bool, str]:
        return self.broker

    async def check_database(self) -> tuple[bool, str]:
        if isinstance(self.database, Exception):
            raise self.database
        return self.database


@pytest.fixture
async def served() -> AsyncIterator[tuple[OpsEndpoint, Checks]]:
    checks = Checks()

    async def metrics() -> bytes:
        return b"alpes_up 1\n"

    endpoint = OpsEndpoint(
        "127.0.0.1",
        0,
        metrics=metrics,
        checks={"broker": checks.check_broker, "database": checks.check_database},
    )
    await endpoint.start()
    try:
        yield endpoint, checks
    finally:
        await endpoint.stop()


async def test_port_zero_binds_a_free_port_on_loopback(
    served: tuple[OpsEndpoint, Checks],
) -> None:
    endpoint, _ = served
    assert endpoint.port > 0
    assert endpoint.url == f"http://127.0.0.1:{endpoint.port}"


async def test_metrics_are_prometheus_text(served: tuple[OpsEndpoint, Checks]) -> None:
    endpoint, _ = served
    status, headers, body = await get(endpoint.url, "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    assert body == b"alpes_up 1\n"


async def test_liveness_answers_whatever_the_checks_say(
    served: tuple[OpsEndpoint, Checks],
) -> None:
    endpoint, checks = served
    checks.broker = (False, "no answer")
    status, _, body = await get(endpoint.url, "/healthz")
    assert (status, body) == (200, b"ok\n")


async def test_ready_only_when_every_check_passes(served: tuple[OpsEndpoint, Checks]) -> None:
    endpoint, checks = served
    status, headers, body = await get(endpoint.url, "/readyz")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "ready": True,
        "checks": {"broker": "connected", "database": "at head"},
    }

    checks.database = (False, "at revision 0002, the code needs 0003")
    status, _, body = await get(endpoint.url, "/readyz")
    assert status == 503
    assert json.loads(body)["checks"]["database"] == "at revision 0002, the code needs 0003"

    checks.database = OSError("connection refused to postgresql://u:s3cret@db/alpes")
    status, _, body = await get(endpoint.url, "/readyz")
    assert status == 503
    assert json.loads(body)["checks"]["database"] == "failed (OSError)"
    assert b"s3cret" not in body


async def test_head_has_no_body_and_other_methods_and_paths_are_refused(
    served: tuple[OpsEndpoint, Checks],
) -> None:
    endpoint, _ = served
    status, headers, body = await get(endpoint.url, "/metrics", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(len(b"alpes_up 1\n"))
    assert (await get(endpoint.url, "/metrics", method="POST"))[0] == 405
    assert (await get(endpoint.url, "/campaigns"))[0] == 404


async def test_a_request_that_is_not_http_gets_400(served: tuple[OpsEndpoint, Checks]) -> None:
    endpoint, _ = served
    reader, writer = await asyncio.open_connection("127.0.0.1", endpoint.port)
    writer.write(b"hello\r\n\r\n")
    await writer.drain()
    assert (await reader.read()).startswith(b"HTTP/1.1 400 ")
    writer.close()
