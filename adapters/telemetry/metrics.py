"""The service's Prometheus metrics, on a registry of their own (one per runtime, so that
tests can run several in one process).

Labels take only values from a closed set (the contract's command and event names, the
reason codes, the subscriptions): a name that came off the wire and is not one of ours is
counted as ``unknown``, so no producer can grow the number of series or put its text in
a label.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from contracts.topics import COMMAND_NAMES
from contracts.v2 import EVENTS

UNKNOWN = "unknown"
_COMMANDS = frozenset(COMMAND_NAMES)
_EVENTS = frozenset(EVENTS)
_VERSIONS = frozenset({"1", "2"})
# The dead-letter properties the adapter sets (DLQ_SUBSCRIPTION, DLQ_REASON).
_DLQ_SUBSCRIPTION = "DLQ_SUBSCRIPTION"
_DLQ_REASON = "DLQ_REASON"

# Seconds: a command's way from receipt to commit, an event's from command to view.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)


def command_label(name: str) -> str:
    return name if name in _COMMANDS else UNKNOWN


def event_label(name: str) -> str:
    return name if name in _EVENTS else UNKNOWN


class ServiceMetrics:
    """Every metric a worker process exports; ``render()`` is the scrape's body."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        self.commands = Counter(
            "alpes_commands",
            "Commands by final outcome (reason: the rejection's code, else empty).",
            ["command_type", "outcome", "reason"],
            registry=registry,
        )
        self.command_failures = Counter(
            "alpes_command_failures",
            "Commands whose processing failed: given back (an outage outlasted the retry "
            "budget) or dead-lettered (any other failure).",
            ["command_type", "action"],
            registry=registry,
        )
        self.command_latency = Histogram(
            "alpes_command_latency_seconds",
            "From the command's receipt by the worker to the commit of its outcome.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_size = Histogram(
            "alpes_command_batch_size",
            "Commands written per transaction (micro-batched Unit of Work).",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.transaction_seconds = Histogram(
            "alpes_command_transaction_seconds",
            "Duration of one transaction of commands: read, apply, write, commit.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.outbox_pending = Gauge(
            "alpes_outbox_pending",
            "Outbox rows not yet published (read at scrape time).",
            registry=registry,
        )
        self.outbox_oldest_age = Gauge(
            "alpes_outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished outbox row; 0 when none (read at scrape time).",
            registry=registry,
        )
        self.events_published = Counter(
            "alpes_events_published",
            "Events the relay published, confirmed by the broker, by type and contract version.",
            ["event_type", "schema_version"],
            registry=registry,
        )
        self.events_projected = Counter(
            "alpes_events_projected",
            "Events the projector handled, by type and result (applied, duplicate, stale, "
            "ignored).",
            ["event_type", "result"],
            registry=registry,
        )
        self.projection_lag = Histogram(
            "alpes_projection_lag_seconds",
            "From an event's occurred_at to its projection into the read store.",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.notifications = Counter(
            "alpes_notifications_sent",
            "Notifications sent, by event type.",
            ["event_type"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "alpes_dead_letters",
            "Messages parked on a dead-letter topic, by subscription and reason.",
            ["subscription", "reason"],
            registry=registry,
        )

        self.rows_purged = Counter(
            "alpes_rows_purged",
            "Rows deleted by retention: published outbox rows, command-log entries and the "
            "projector's records of applied events.",
            ["table"],
            registry=registry,
        )

    # --- recording, one method per fact (the workers call these) ------------------------

    def transaction(self, commands: int, seconds: float) -> None:
        """application.ports.CommandObserver: one transaction of commands committed."""
        self.batch_size.observe(commands)
        self.transaction_seconds.observe(seconds)

    def command(self, command_type: str, outcome: str, reason: str, latency: float) -> None:
        """A command's outcome, ``latency`` seconds after its receipt."""
        self.commands.labels(command_label(command_type), outcome, reason).inc()
        self.command_latency.observe(latency)

    def command_failed(self, command_type: str, action: str) -> None:
        self.command_failures.labels(command_label(command_type), action).inc()

    def dead_lettered(self, properties: Mapping[str, str]) -> None:
        """adapters.pulsar.DeadLetterHook: a message parked."""
        self.dead_letters.labels(
            properties.get(_DLQ_SUBSCRIPTION, ""), properties.get(_DLQ_REASON, "")
        ).inc()

    def published(self, event_type: str, schema_version: str) -> None:
        version = schema_version if schema_version in _VERSIONS else UNKNOWN
        self.events_published.labels(event_label(event_type), version).inc()

    def projected(self, event_type: str, result: str, lag: float | None) -> None:
        self.events_projected.labels(event_label(event_type), result).inc()
        if lag is not None:
            self.projection_lag.observe(max(lag, 0.0))

    def notified(self, event_type: str) -> None:
        self.notifications.labels(event_label(event_type)).inc()

    def outbox(self, pending: int, oldest: datetime | None) -> None:
        self.outbox_pending.set(pending)
        age = 0.0 if oldest is None else (datetime.now(UTC) - oldest).total_seconds()
        self.outbox_oldest_age.set(max(age, 0.0))

    def purged(self, outbox: int, command_log: int, projected_events: int = 0) -> None:
        """Rows retention deleted in one purge."""
        self.rows_purged.labels("outbox").inc(outbox)
        self.rows_purged.labels("command_log").inc(command_log)
        self.rows_purged.labels("projected_events").inc(projected_events)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def exported_names(self) -> set[str]:
        """Every sample name a scrape can hold (counters' _total, histograms' _bucket...)."""
        names: set[str] = set()
        for family in self.registry.collect():
            names |= sample_names(family.name, family.type)
        return names


def sample_names(name: str, kind: str) -> set[str]:
    suffixes: Iterable[str] = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("", "_sum", "_count", "_created"),
        "gauge": ("",),
    }.get(kind, ("",))
    return {name + suffix for suffix in suffixes}
