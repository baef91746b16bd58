"""What a worker process reports about itself: metrics and the operations endpoint (with
ALPES_METRICS_PORT), traces (with the standard OTEL_* variables). Both off by default:
then the workers make no metric and no span, and serve nothing."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.activity import outbox_backlog
from adapters.database.migrate import head_revision, revision_of
from adapters.pulsar import PulsarBroker
from adapters.telemetry.endpoint import Check, OpsEndpoint
from adapters.telemetry.metrics import ServiceMetrics
from adapters.telemetry.tracing import Tracing

from .settings import Settings

PING_TIMEOUT = 3.0


@dataclass
class Telemetry:
    metrics: ServiceMetrics | None = None
    tracing: Tracing | None = None
    host: str = "127.0.0.1"
    port: int | None = None  # the operations endpoint's; None: not served
    owns_tracing: bool = False  # shut the tracer provider down with the process

    @classmethod
    def from_settings(cls, settings: Settings, workers: tuple[str, ...]) -> "Telemetry":
        """ALPES_METRICS_PORT/HOST and the OTEL_* variables; ValueError for a value that
        cannot be honoured, naming the variable."""
        service = f"alpes-{workers[0]}" if len(workers) == 1 else "alpes"
        tracing = Tracing.from_environment(service)
        port = settings.metrics_port
        return cls(
            metrics=ServiceMetrics() if port is not None else None,
            tracing=tracing,
            host=settings.metrics_host,
            port=port,
            owns_tracing=tracing is not None,
        )

    def endpoint(
        self, broker: PulsarBroker, engine: AsyncEngine, *, outbox: bool
    ) -> OpsEndpoint | None:
        """The operations endpoint, when a port is set. Ready: the broker answers a ping
        and the database is at the code's head revision. ``outbox``: the scrape reads
        the outbox's backlog (the relay's processes)."""
        if self.port is None:
            return None
        metrics = self.metrics
        assert metrics is not None

        async def render() -> bytes:
            if outbox:
                try:
                    backlog = await outbox_backlog(engine)
                    metrics.outbox(backlog.pending, backlog.oldest_pending_at)
                except Exception:  # the database is away: the gauges keep their last value
                    pass
            return metrics.render()

        return OpsEndpoint(
            self.host,
            self.port,
            metrics=render,
            checks={"broker": _broker_check(broker), "database": _database_check(engine)},
        )

    def close(self) -> None:
        if self.tracing is not None and self.owns_tracing:
            self.tracing.shutdown()


def _broker_check(broker: PulsarBroker) -> Check:
    async def check() -> tuple[bool, str]:
        if await broker.ping(PING_TIMEOUT):
            return True, "connected"
        return False, "no answer from the broker"

    return check


def _database_check(engine: AsyncEngine) -> Check:
    head = head_revision()

    async def check() -> tuple[bool, str]:
        try:
            current = await revision_of(engine)
        except Exception as error:
            return False, f"unreachable ({type(error).__name__})"
        if current != head:
            return False, f"at revision {current or 'none'}, the code needs {head}"
        return True, f"at head ({head})"

    return check
