"""What one broker benchmark runs with: its settings, the broker it targets, and the
client options both sides share."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from adapters.pulsar import BrokerCapabilities
from adapters.pulsar.options import DeadLetterPolicy

LITE = "pulsar-lite"
APACHE = "apache-pulsar"
MEASUREMENTS = ("consume", "publish", "publish_batch")
SUBSCRIPTION = "bench"

# What the adapter passes to pulsar-client (see adapters/pulsar), so that raw runs use
# the same client, consumer and producer settings.
OPERATION_TIMEOUT_S = 30
CONNECT_TIMEOUT_MS = 10_000
SEND_TIMEOUT_MS = 30_000
NEGATIVE_ACK_DELAY_MS = 1_000
DEFAULT_DEAD_LETTER = DeadLetterPolicy()


@dataclass(frozen=True)
class Settings:
    messages: int
    size: int
    repeats: int
    concurrency: int
    receiver_queue_size: int
    warmup: int
    run_timeout: float
    measurements: tuple[str, ...]

    @property
    def payload(self) -> bytes:
        # Not all zeros, in case anything on the way compresses.
        return (os.urandom(16).hex().encode() * (self.size // 32 + 1))[: self.size]


@dataclass
class Target:
    name: str
    url: str
    capabilities: BrokerCapabilities
    messages: int


def fresh_topic(broker: str, what: str) -> str:
    return f"persistent://public/default/bench-{broker}-{what}-{uuid.uuid4().hex[:10]}"
