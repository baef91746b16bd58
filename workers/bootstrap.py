"""The composition root: wires broker, database and workers for the CLI, the apps and tests.
The one place that names concrete adapters: each use case gets them through its ports."""

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from faststream import FastStream
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.batch import SqlCommandStore
from adapters.database.engine import create_engine
from adapters.database.heartbeats import HeartbeatWriter
from adapters.database.migrate import require_head
from adapters.database.outbox_store import SqlOutboxStore
from adapters.database.retention_store import SqlRetentionStore
from adapters.database.view_store import SqlViewStore
from adapters.event_publisher import BrokerEventPublisher
from adapters.notifications import LogSender, SmtpSender
from adapters.pulsar import (
    APACHE_PULSAR,
    PULSAR_LITE,
    DeadLetterHook,
    PulsarBroker,
    PulsarSecurity,
)
from adapters.telemetry.endpoint import OpsEndpoint
from application.commands.batch import BatchingProcessor
from application.commands.render import EventRenderer
from application.notifications import NotificationSender
from application.projector import BatchingProjector
from application.relay import OutboxRelay
from application.retention import Retention, RetentionPurger
from contracts.topics import EVENT_TOPICS, EVENTS_V2
from contracts.v1 import EVENTS

from . import commands as command_worker
from . import notifications, projector
from .relay import InstrumentedPublisher
from .settings import Settings
from .telemetry import Telemetry

WORKERS = ("commands", "relay", "projector", "notifications")


@dataclass
class Runtime:
    settings: Settings
    broker: PulsarBroker
    engine: AsyncEngine
    app: FastStream
    telemetry: Telemetry = field(default_factory=Telemetry)
    relay: OutboxRelay | None = None
    retention: RetentionPurger | None = None
    command_batcher: BatchingProcessor | None = None
    event_batcher: BatchingProjector | None = None
    heartbeat: HeartbeatWriter | None = None
    endpoint: OpsEndpoint | None = None  # /metrics, /healthz, /readyz, when served
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)


def make_broker(
    settings: Settings,
    url: str,
    *,
    embedded: bool = False,
    batching: bool = False,
    on_dead_letter: DeadLetterHook | None = None,
) -> PulsarBroker:
    lite = embedded or settings.pulsar_flavor == "lite"
    token = settings.pulsar_token.get_secret_value() if settings.pulsar_token else None
    return PulsarBroker(
        url,
        capabilities=PULSAR_LITE if lite else APACHE_PULSAR,
        security=PulsarSecurity(
            token=token, tls_trust_certs_file_path=settings.pulsar_tls_trust_certs
        ),
        logger=logging.getLogger("alpes.broker"),
        batching=batching,
        # The v2 event stream may have Key_Shared consumers (projectors, downstream
        # services): its batches hold one campaign each. v1's topics keep plain batching.
        batch_by_key=(EVENTS_V2,),
        # The handlers take the raw body and read the message from the context: no
        # argument injection, which costs a thread-pool hop per message.
        apply_types=False,
        on_dead_letter=on_dead_letter,
    )


def build(
    settings: Settings,
    url: str,
    workers: Iterable[str] = WORKERS,
    *,
    embedded: bool = False,
    telemetry: Telemetry | None = None,
) -> Runtime:
    """The runtime of ``workers``. ``telemetry``: metrics and tracing as given (default:
    as ALPES_METRICS_PORT and the OTEL_* variables say)."""
    workers = tuple(workers)
    unknown = set(workers) - set(WORKERS)
    if unknown:
        msg = f"Unknown worker(s) {sorted(unknown)}; choose from {', '.join(WORKERS)}"
        raise ValueError(msg)
    telemetry = telemetry or Telemetry.from_settings(settings, workers)
    metrics, tracing = telemetry.metrics, telemetry.tracing
    # The relay keeps hundreds of sends in flight: there, producer batching pays.
    broker = make_broker(
        settings,
        url,
        embedded=embedded,
        batching="relay" in workers,
        on_dead_letter=metrics.dead_lettered if metrics is not None else None,
    )
    engine = create_engine(settings.database_url)
    app = FastStream(broker, logger=logging.getLogger("alpes.app"))
    runtime = Runtime(settings, broker, engine, app, telemetry)
    runtime.heartbeat = HeartbeatWriter(engine, workers, interval=settings.heartbeat_interval)
    runtime.endpoint = telemetry.endpoint(broker, engine, outbox="relay" in workers)

    if "commands" in workers:
        runtime.command_batcher = BatchingProcessor(
            SqlCommandStore(engine),
            max_batch=settings.command_batch_size,
            renderer=EventRenderer(v1=settings.publish_v1_events),
            observer=metrics,
        )
        command_worker.register(
            broker,
            runtime.command_batcher,
            concurrency=settings.command_concurrency,
            metrics=metrics,
            tracing=tracing,
        )
    if "relay" in workers:
        publisher = BrokerEventPublisher(broker)
        runtime.relay = OutboxRelay(
            SqlOutboxStore(engine),
            InstrumentedPublisher(publisher, metrics, tracing)
            if metrics is not None or tracing is not None
            else publisher,
        )
        # The outbox's owner keeps it (and the command log) bounded.
        runtime.retention = RetentionPurger(
            SqlRetentionStore(engine),
            Retention(
                outbox=settings.outbox_retention,
                command_log=settings.command_log_retention,
                interval=settings.retention_interval.total_seconds(),
            ),
            on_purged=(
                lambda rows: metrics.purged(rows.outbox, rows.command_log, rows.projected_events)
            )
            if metrics is not None
            else None,
        )
        # Declared for FastStream's AsyncAPI document: what the relay publishes (the
        # contract's own document, with every message of the stream, is contracts.asyncapi).
        broker.publisher(EVENTS_V2, title="eventos.v2:published")
        for name, topic in EVENT_TOPICS.items():
            broker.publisher(topic, schema=EVENTS[name], title=f"{name}.v1:published")
    if "projector" in workers:
        runtime.event_batcher = projector.register(
            broker, SqlViewStore(engine), metrics=metrics, tracing=tracing
        )
    if "notifications" in workers:
        notifications.register(broker, build_sender(settings), metrics=metrics, tracing=tracing)

    @app.on_startup
    async def check_database() -> None:
        await require_head(settings.database_url)

    @app.after_startup
    async def start_background() -> None:
        for background in (runtime.relay, runtime.retention, runtime.heartbeat):
            if background is not None:
                runtime._tasks.append(asyncio.create_task(background.run(runtime._stop)))
        if runtime.endpoint is not None:
            await runtime.endpoint.start()

    @app.on_shutdown
    async def stop_background() -> None:
        if runtime.endpoint is not None:
            await runtime.endpoint.stop()
        runtime._stop.set()
        await asyncio.gather(*runtime._tasks, return_exceptions=True)

    @app.after_shutdown
    async def close_database() -> None:
        for batcher in (runtime.command_batcher, runtime.event_batcher):
            if batcher is not None:
                await batcher.close()
        await engine.dispose()
        telemetry.close()

    return runtime


def build_sender(settings: Settings) -> NotificationSender:
    """The sender ALPES_NOTIFICATION_SENDER names: ``log`` (default; JSON lines appended to
    ALPES_NOTIFICATION_FILE, by default ``<ALPES_DATA_DIR>/notifications.jsonl``, and a log
    line on ``alpes.notifications``) or ``smtp`` (ALPES_SMTP_*; ALPES_SMTP_TO may list
    several addresses separated by commas)."""
    kind = settings.notification_sender
    if kind == "log":
        default = settings.data_dir / notifications.NOTIFICATION_FILE
        return LogSender(settings.notification_file or default)
    if kind == "smtp":
        recipients = [a.strip() for a in settings.smtp_to.split(",") if a.strip()]
        if not recipients:
            msg = "ALPES_SMTP_TO is empty; give one address or several separated by commas."
            raise ValueError(msg)
        if (settings.smtp_user is None) != (settings.smtp_password is None):
            msg = "Set both ALPES_SMTP_USER and ALPES_SMTP_PASSWORD, or neither."
            raise ValueError(msg)
        password = settings.smtp_password
        return SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            recipients=recipients,
            user=settings.smtp_user,
            password=password.get_secret_value() if password is not None else None,
        )
    msg = f"ALPES_NOTIFICATION_SENDER is {settings.notification_sender!r}; expected log or smtp."
    raise ValueError(msg)
