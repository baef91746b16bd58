"""The operations endpoint of a worker process: ``/metrics`` (Prometheus text),
``/healthz`` (liveness: the process's event loop answers) and ``/readyz`` (readiness:
every check passes, e.g. the broker answers and the database is at head).

A minimal HTTP/1.1 server on the worker's own event loop, one request per connection,
GET and HEAD only: it is for scrapers and probes on a private network, not a business
API (bind it to loopback, the default, unless a scraper must reach it).
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST

log = logging.getLogger("alpes.telemetry")

# A readiness check: (passed, what it found, in a few words).
Check = Callable[[], Awaitable[tuple[bool, str]]]

CHECK_TIMEOUT = 5.0
_READ_TIMEOUT = 5.0
_MAX_REQUEST = 8192
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


class OpsEndpoint:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        metrics: Callable[[], Awaitable[bytes]] | None,
        checks: Mapping[str, Check],
    ) -> None:
        self.host = host
        self.port = port  # 0: any free port; the one bound once started
        self._metrics = metrics
        self._checks = dict(checks)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, limit=_MAX_REQUEST
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def readiness(self) -> tuple[bool, dict[str, str]]:
        """Every check, run together; each bounded by CHECK_TIMEOUT."""
        names = list(self._checks)
        results = await asyncio.gather(*(_bounded(self._checks[n]) for n in names))
        found = {name: text for name, (_, text) in zip(names, results, strict=True)}
        return all(ok for ok, _ in results), found

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            method, path = _request_line(head)
            status, content_type, body = await self._answer(method, path)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        except ValueError:
            status, content_type, body = 400, "text/plain", b"bad request\n"
        try:
            writer.write(
                f"HTTP/1.1 {status} {_REASONS.get(status, 'Bad Request')}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n".encode()
            )
            if method != "HEAD":
                writer.write(body)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _answer(self, method: str, path: str) -> tuple[int, str, bytes]:
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"GET or HEAD only\n"
        path = path.split("?", 1)[0]
        if path == "/healthz":
            return 200, "text/plain", b"ok\n"
        if path == "/readyz":
            ready, found = await self.readiness()
            body = json.dumps({"ready": ready, "checks": found}).encode() + b"\n"
            return (200 if ready else 503), "application/json", body
        if path == "/metrics" and self._metrics is not None:
            return 200, CONTENT_TYPE_LATEST, await self._metrics()
        return 404, "text/plain", b"not found: /metrics, /healthz, /readyz\n"


def _request_line(head: bytes) -> tuple[str, str]:
    parts = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError("not an HTTP request line")
    return parts[0], parts[1]


async def _bounded(check: Check) -> tuple[bool, str]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            return await check()
    except TimeoutError:
        return False, f"no answer within {CHECK_TIMEOUT:g}s"
    except Exception as error:  # a failing check is an answer: not ready
        log.warning("readiness check failed: %s", type(error).__name__)
        return False, f"failed ({type(error).__name__})"
