"""The v2 pipeline with metrics and tracing on (``--observed``): the workers' extra
environment, a local OTLP/HTTP sink that takes their spans, and the checks that both
really worked (spans arrived, ``/metrics`` counted every command).

The sink is an ``http.server`` in a thread of the bench process, so the spans are really
serialized and sent over HTTP by the default exporter, as to a collector on the same
host; what the sink itself costs lands in the bench process's CPU, not the workers'.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bench.common import BenchError
from tests.support.scrape import endpoint_of, scrape, total

TRACES_PATH = "/v1/traces"
SERVICE_NAME = "alpes-bench"
# adapters/telemetry/tracing.py gives the TracerProvider no sampler, so the SDK reads
# OTEL_TRACES_SAMPLER, default parentbased_always_on; the bench's commands carry no
# traceparent, so every command is a sampled root: every span is made and exported.
DEFAULT_SAMPLER = "parentbased_always_on"


def sampler(worker_env: Mapping[str, str]) -> str:
    """The sampler the workers use: --worker-env's OTEL_TRACES_SAMPLER, else the bench's
    (the workers inherit it), else the SDK's default."""
    name = "OTEL_TRACES_SAMPLER"
    return (worker_env.get(name) or os.environ.get(name, "")).strip() or DEFAULT_SAMPLER


def observed_env(sink_url: str, metrics_port: str = "0") -> dict[str, str]:
    """The workers' extra environment: metrics on any free port, traces to ``sink_url``
    over OTLP/HTTP (the service's default exporter and protocol)."""
    return {
        "ALPES_METRICS_PORT": metrics_port,
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": sink_url,
        "OTEL_SERVICE_NAME": SERVICE_NAME,
    }


def span_names(body: bytes, encoding: str = "") -> Counter[str]:
    """Spans by name in one OTLP/HTTP protobuf export request."""
    if encoding == "gzip":
        body = gzip.decompress(body)
    request = ExportTraceServiceRequest.FromString(body)
    return Counter(
        span.name
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    )


class TraceSink:
    """``POST /v1/traces`` answered 200 with an empty body (what the exporter takes for
    success); the bodies are kept and decoded only in ``spans()``, after the timed run,
    so decoding does not compete with the workers for the CPU."""

    def __init__(self) -> None:
        bodies: list[tuple[bytes, str]] = []
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the exporter reuses its connection

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                found = self.path.split("?", 1)[0] == TRACES_PATH
                if found:
                    with lock:
                        bodies.append((body, self.headers.get("Content-Encoding", "")))
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass  # one line per export on the bench's output otherwise

        self._bodies = bodies
        self._lock = lock
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> TraceSink:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def requests(self) -> int:
        with self._lock:
            return len(self._bodies)

    @property
    def bytes(self) -> int:
        with self._lock:
            return sum(len(body) for body, _ in self._bodies)

    def spans(self) -> Counter[str]:
        with self._lock:
            bodies = list(self._bodies)
        found: Counter[str] = Counter()
        for body, encoding in bodies:
            found += span_names(body, encoding)
        return found


@dataclass
class Observation:
    """What the observed run's telemetry delivered."""

    metrics_commands: float = 0.0  # alpes_commands_total, commands worker
    metrics_published: float = 0.0  # alpes_events_published_total, relay
    requests: int = 0  # OTLP export requests the sink received
    bytes: int = 0
    spans: dict[str, int] = field(default_factory=dict)  # by span name

    @property
    def span_total(self) -> int:
        return sum(self.spans.values())

    def summary(self) -> str:
        return (
            f"observed: {self.span_total:,} spans in {self.requests} OTLP requests "
            f"({self.bytes / 1e6:.1f} MB) {self.spans}; /metrics: alpes_commands_total "
            f"{self.metrics_commands:g}, relay alpes_events_published_total "
            f"{self.metrics_published:g}"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "spans": self.span_total,
            "spans_by_name": self.spans,
            "otlp_requests": self.requests,
            "otlp_bytes": self.bytes,
            "metrics_commands_total": self.metrics_commands,
            "metrics_events_published_total": self.metrics_published,
        }


async def check_metrics(commands_log: Path, relay_log: Path, n: int, obs: Observation) -> None:
    """Scrape both workers' ``/metrics`` (their URLs from the line each logs once it
    serves); BenchError unless the commands worker counted exactly ``n`` commands. The
    counter moves just after the commit the bench polls for: retry briefly."""
    urls = [endpoint_of(commands_log), endpoint_of(relay_log)]
    if None in urls:
        raise BenchError(f"a worker logged no operations endpoint (see {commands_log.parent})")
    commands_url, relay_url = (str(url) for url in urls)
    deadline = time.monotonic() + 10
    while True:
        samples = await asyncio.to_thread(scrape, commands_url)
        obs.metrics_commands = total(samples, "alpes_commands_total")
        if obs.metrics_commands == n or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    relay = await asyncio.to_thread(scrape, relay_url)
    obs.metrics_published = total(relay, "alpes_events_published_total")
    if obs.metrics_commands != n:
        raise BenchError(f"/metrics: alpes_commands_total {obs.metrics_commands:g}, not {n}")


def collect_spans(sink: TraceSink, obs: Observation) -> None:
    """Once the workers have stopped (their tracer providers flush on the way out):
    BenchError if no span arrived, so an observed run never silently measures nothing."""
    obs.requests, obs.bytes = sink.requests, sink.bytes
    obs.spans = dict(sorted(sink.spans().items()))
    if obs.span_total == 0:
        raise BenchError(f"the OTLP sink received no span ({obs.requests} requests)")
